package io.parlor.adapter.smpp;

import java.time.Duration;

/**
 * Exponential reconnect backoff with equal jitter: attempt {@code n} (0-based) waits between half
 * and all of {@code min(max, initial × 2^n)}, so that many gateways losing the same SMSC do not
 * reconnect in lockstep. Immutable and thread-safe.
 */
record Backoff(Duration initial, Duration max) {

  /**
   * The delay before attempt {@code attempt}.
   *
   * @param jitter a value in [0, 1) (tests pass fixed values)
   */
  Duration delay(int attempt, double jitter) {
    long initialMs = Math.max(1, initial.toMillis());
    long maxMs = Math.max(initialMs, max.toMillis());
    int shift = Math.min(Math.max(0, attempt), 30);
    long base = initialMs << shift;
    if (base <= 0 || base > maxMs || (base >> shift) != initialMs) {
      base = maxMs;
    }
    long half = base / 2;
    return Duration.ofMillis(half + (long) ((base - half) * Math.min(Math.max(jitter, 0.0), 1.0)));
  }
}
