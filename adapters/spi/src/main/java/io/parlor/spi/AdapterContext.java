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
 * @param receipts receives what the network reports after hand-over; networks that do so declare
 *     {@code Capabilities.deliveryReceipts() == Level.FULL}, and the core then waits for the
 *     receipt before telling the sender "delivered"
 * @param events where to hand the events the network reports (read receipts, typing)
 * @param metrics where the adapter counts and times what it does (the core exports it)
 */
public record AdapterContext(
    NetworkId networkId,
    Clock clock,
    InboundSink inbound,
    HealthListener healthListener,
    ReceiptSink receipts,
    EventSink events,
    AdapterMetrics metrics) {

  public AdapterContext {
    metrics = metrics == null ? AdapterMetrics.none() : metrics;
  }

  /** A context whose metrics go nowhere. */
  public AdapterContext(
      NetworkId networkId, Clock clock, InboundSink inbound, HealthListener healthListener, ReceiptSink receipts,
      EventSink events) {
    this(networkId, clock, inbound, healthListener, receipts, events, AdapterMetrics.none());
  }

  /** A context whose events are refused. */
  public AdapterContext(
      NetworkId networkId, Clock clock, InboundSink inbound, HealthListener healthListener, ReceiptSink receipts) {
    this(networkId, clock, inbound, healthListener, receipts, EventSink.refusing());
  }

  /** A context whose receipts are dropped (for networks that report none). */
  public AdapterContext(NetworkId networkId, Clock clock, InboundSink inbound, HealthListener healthListener) {
    this(networkId, clock, inbound, healthListener, r -> {}, EventSink.refusing());
  }

  /** Receives network receipts. Thread-safe; must not block. */
  @FunctionalInterface
  public interface ReceiptSink {
    void onReceipt(NetworkReceipt receipt);
  }

  /** Receives health transitions. Must not block. */
  @FunctionalInterface
  public interface HealthListener {
    void onHealth(NetworkId network, Health health);
  }
}
