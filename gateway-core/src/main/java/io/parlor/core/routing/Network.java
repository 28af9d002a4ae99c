package io.parlor.core.routing;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.parlor.spi.Adapter;
import io.parlor.spi.envelope.NetworkId;

/**
 * A configured network: its adapter and the core's resilience policies towards it.
 *
 * @param id network id
 * @param type adapter type ({@code webhook}, ...)
 * @param region where the network stores data
 * @param adapter the adapter
 * @param retry the delivery retry policy towards this network
 * @param breaker the circuit breaker towards this network
 */
public record Network(
    NetworkId id, String type, String region, Adapter adapter, Retry retry, CircuitBreaker breaker) {

  /** Whether deliveries should go here now: adapter connected and breaker not open. */
  public boolean healthy() {
    return adapter.health().state().canDeliver()
        && breaker.getState() != CircuitBreaker.State.OPEN
        && breaker.getState() != CircuitBreaker.State.FORCED_OPEN;
  }
}
