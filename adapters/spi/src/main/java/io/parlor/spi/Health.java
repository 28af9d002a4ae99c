package io.parlor.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * An adapter's health.
 *
 * @param state the state
 * @param reason short human-readable reason, never containing secrets or identifiers of people
 * @param since when the adapter entered this state
 */
public record Health(HealthState state, String reason, Instant since) {
  public Health {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(since, "since");
    reason = reason == null ? "" : reason;
  }

  public static Health of(HealthState state, String reason, Instant since) {
    return new Health(state, reason, since);
  }
}
