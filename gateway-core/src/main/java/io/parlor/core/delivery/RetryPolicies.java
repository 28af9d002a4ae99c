package io.parlor.core.delivery;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.parlor.core.store.StoreException;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.TransientDeliveryException;
import java.time.Duration;

/**
 * The core's resilience4j policies towards destination networks: retry with exponential backoff
 * and jitter that honours a network's {@code Retry-After}, bounded by each message's deadline
 * rather than an attempt count; and a circuit breaker that opens on transient failures only (a
 * permanent "no such recipient" says nothing about the network's health).
 */
public final class RetryPolicies {
  private RetryPolicies() {}

  /** Backoff settings. */
  public record Backoff(Duration initial, Duration max) {}

  public static Retry retry(String network, Backoff backoff) {
    IntervalFunction exp =
        IntervalFunction.ofExponentialRandomBackoff(backoff.initial(), 2.0, 0.5, backoff.max());
    IntervalBiFunction<Object> interval =
        (attempt, either) -> {
          if (either.isLeft() && either.getLeft() instanceof TransientDeliveryException t
              && t.retryAfter().isPresent()) {
            return Math.max(t.retryAfter().get().toMillis(), 1);
          }
          return exp.apply(attempt);
        };
    RetryConfig config =
        RetryConfig.custom()
            .maxAttempts(Integer.MAX_VALUE) // the message's deadline bounds retries
            .intervalBiFunction(interval)
            .retryOnException(RetryPolicies::isTransient)
            .failAfterMaxAttempts(false)
            .build();
    return Retry.of(network, config);
  }

  public static CircuitBreaker breaker(String network, Duration openFor) {
    CircuitBreakerConfig config =
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(20)
            .minimumNumberOfCalls(10)
            .failureRateThreshold(50)
            .waitDurationInOpenState(openFor)
            .permittedNumberOfCallsInHalfOpenState(2)
            .automaticTransitionFromOpenToHalfOpenEnabled(false)
            .recordException(
                e -> e instanceof TransientDeliveryException || e instanceof AdapterUnavailableException)
            .build();
    return CircuitBreaker.of(network, config);
  }

  static boolean isTransient(Throwable e) {
    return e instanceof TransientDeliveryException
        || e instanceof AdapterUnavailableException
        || e instanceof CallNotPermittedException
        || e instanceof StoreException;
  }
}
