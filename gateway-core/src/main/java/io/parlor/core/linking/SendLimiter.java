package io.parlor.core.linking;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Sliding-window limit on one-time-code sends per key (an account, a client address). In memory:
 * a restart forgets the windows, which only ever allows a few more sends. Thread-safe.
 */
public final class SendLimiter {
  private final int max;
  private final Duration window;
  private final Clock clock;
  private final Map<String, ArrayDeque<Instant>> sends = new HashMap<>();

  public SendLimiter(int max, Duration window, Clock clock) {
    this.max = max;
    this.window = window;
    this.clock = clock;
  }

  /** Records a send for every key, or returns how long to wait if any key is at its limit. */
  public synchronized Optional<Duration> tryAcquire(String... keys) {
    Instant now = clock.instant();
    Duration wait = Duration.ZERO;
    for (String k : keys) {
      ArrayDeque<Instant> q = sends.computeIfAbsent(k, x -> new ArrayDeque<>());
      while (!q.isEmpty() && !q.peekFirst().plus(window).isAfter(now)) {
        q.pollFirst();
      }
      if (q.size() >= max) {
        Duration w = Duration.between(now, q.peekFirst().plus(window));
        wait = w.compareTo(wait) > 0 ? w : wait;
      }
    }
    if (!wait.isZero()) {
      return Optional.of(wait);
    }
    for (String k : keys) {
      sends.get(k).addLast(now);
    }
    if (sends.size() > 100_000) {
      evictIdle(now);
    }
    return Optional.empty();
  }

  private void evictIdle(Instant now) {
    for (Iterator<ArrayDeque<Instant>> it = sends.values().iterator(); it.hasNext(); ) {
      ArrayDeque<Instant> q = it.next();
      if (q.isEmpty() || !q.peekLast().plus(window).isAfter(now)) {
        it.remove();
      }
    }
  }
}
