package io.parlor.spi;

import io.parlor.spi.envelope.NetworkId;
import java.time.Clock;

/**
 * What the core gives an adapter. Thread-safe.
 *
 * @param networkId the id of the network this adapter serves
 * @param clock the clock to read time from (tests advance it)
 * @param inbound where to hand inbound envelopes
 * @param healthListener receives every health transition (the core exports them as gauges)
 */
public record AdapterContext(
    NetworkId networkId, Clock clock, InboundSink inbound, HealthListener healthListener) {

  /** Receives health transitions. Must not block. */
  @FunctionalInterface
  public interface HealthListener {
    void onHealth(NetworkId network, Health health);
  }
}
