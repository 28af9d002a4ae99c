package io.parlor.adapter.meta;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Two token buckets in front of the Graph API: one for the sender (a WhatsApp business number,
 * e.g. 80 messages/s; a page or Instagram account, 300 calls/s by Meta's documented limit) and one
 * per recipient (WhatsApp's pair rate limit; on Messenger, Meta may throttle a page that sends too
 * much into one thread), so that one busy recipient does not hold up the others. Implemented as GCRA (a token bucket kept as one "theoretical arrival
 * time" per bucket), with time from an injected {@link Clock}.
 *
 * <p>Never blocks or sleeps: {@link #tryAcquire} either counts the message or says how long to
 * wait, and the caller fails the delivery fast with that retry-after (the core retries). A message
 * is counted against both buckets or neither.
 *
 * <p>Thread-safe: every method holds this object's monitor for a few arithmetic operations. Idle
 * recipient buckets (full again) are dropped, so memory stays bounded by the recipients active
 * within one refill period.
 */
public final class RateLimiter {
  private static final int MIN_SWEEP_THRESHOLD = 1024;

  /**
   * A bucket: up to {@code burst} messages at once, refilled with one message per {@code
   * interval}.
   */
  public record Limit(int burst, Duration interval) {
    public Limit {
      if (burst < 1) {
        throw new IllegalArgumentException("burst must be at least 1");
      }
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("interval must be positive");
      }
    }

    /** {@code perSecond} messages per second, with a burst of one second's worth. */
    public static Limit perSecond(int perSecond) {
      return new Limit(perSecond, Duration.ofNanos(1_000_000_000L / perSecond));
    }

    long intervalNanos() {
      return interval.toNanos();
    }

    long toleranceNanos() {
      return (burst - 1) * interval.toNanos();
    }
  }

  /** Which limit refused a message. */
  public enum Scope {
    SENDER,
    RECIPIENT
  }

  /** A refusal: which limit, and when a retry may succeed. */
  public record Refusal(Scope scope, Duration retryAfter) {}

  private final Limit sender;
  private final Limit recipient;
  private final Clock clock;
  private final Map<String, Long> recipientTat = new HashMap<>();
  private long senderTat = Long.MIN_VALUE;
  private int sweepThreshold = MIN_SWEEP_THRESHOLD;

  public RateLimiter(Limit sender, Limit recipient, Clock clock) {
    this.sender = Objects.requireNonNull(sender);
    this.recipient = Objects.requireNonNull(recipient);
    this.clock = Objects.requireNonNull(clock);
  }

  /**
   * Counts one message to {@code recipientKey} if both limits allow it now.
   *
   * @return empty when the message may be sent, otherwise the refusal with its retry-after
   */
  public synchronized Optional<Refusal> tryAcquire(String recipientKey) {
    long now = nanos(clock.instant());
    sweepIfLarge(now);
    long pairTat = Math.max(recipientTat.getOrDefault(recipientKey, now), now);
    long pairWait = pairTat - now - recipient.toleranceNanos();
    if (pairWait > 0) {
      return Optional.of(new Refusal(Scope.RECIPIENT, Duration.ofNanos(pairWait)));
    }
    long sTat = Math.max(senderTat, now);
    long senderWait = sTat - now - sender.toleranceNanos();
    if (senderWait > 0) {
      return Optional.of(new Refusal(Scope.SENDER, Duration.ofNanos(senderWait)));
    }
    senderTat = sTat + sender.intervalNanos();
    recipientTat.put(recipientKey, pairTat + recipient.intervalNanos());
    return Optional.empty();
  }

  /** Number of recipients currently tracked (for tests). */
  synchronized int trackedRecipients() {
    return recipientTat.size();
  }

  private void sweepIfLarge(long now) {
    if (recipientTat.size() < sweepThreshold) {
      return;
    }
    // A bucket whose theoretical arrival time has passed is full again: same as no entry.
    recipientTat.values().removeIf(tat -> tat <= now);
    sweepThreshold = Math.max(MIN_SWEEP_THRESHOLD, recipientTat.size() * 2);
  }

  private static long nanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }
}
