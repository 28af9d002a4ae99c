package io.parlor.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * The core's answer to an inbound envelope. An adapter acknowledges its network according to it:
 * {@link Accepted} and {@link Duplicate} mean the message is durable; {@link Refused} means it
 * was not stored and never will be delivered.
 */
public sealed interface IngressResult {

  /**
   * Durably stored under the gateway id; it will be delivered or a status will say why not. A
   * message that was a request to the gateway itself — {@code STOP} or {@code BLOCK} answered to
   * a pool number or a single identity — is accepted once it was carried out, and gets no status.
   */
  record Accepted(String gatewayId) implements IngressResult {
    public Accepted {
      Objects.requireNonNull(gatewayId);
    }
  }

  /** The same id from the same network was already accepted. */
  record Duplicate() implements IngressResult {}

  /**
   * Refused before storage.
   *
   * @param code stable machine-readable code ({@link #RECIPIENT_UNREACHABLE}, ...)
   * @param message human-readable detail that never reveals more than the code does
   * @param retryAfter for {@link #RATE_LIMITED}, when to try again; otherwise null
   * @param members for a group message refused because of some of its members, how many (never
   *     who); otherwise null
   */
  record Refused(String code, String message, Duration retryAfter, Integer members) implements IngressResult {
    public static final String RECIPIENT_UNREACHABLE = "recipient_unreachable";
    public static final String ENCRYPTION_DOWNGRADE = "encryption_downgrade";
    public static final String EXPIRED = "expired";
    public static final String RATE_LIMITED = "rate_limited";
    public static final String INVALID_ENVELOPE = "invalid_envelope";
    public static final String RESIDENCY_DENIED = "residency_denied";
    public static final String TIMER_UNSUPPORTED = "timer_unsupported";
    public static final String TOO_LONG = "too_long";
    /** An edit or delete of a message someone else sent (HTTP 403). */
    public static final String NOT_SENDER = "not_sender";
    /** Written to a group the sender is not (or no longer) a member of (HTTP 403). */
    public static final String NOT_A_MEMBER = "not_a_member";
    /** A reaction, edit or delete of a message Parlor does not know in this conversation. */
    public static final String UNKNOWN_REFERENCE = "unknown_reference";
    /**
     * The sender is held: reports about them reached the hold threshold, or an operator confirmed
     * the hold (HTTP 403); nothing they send is accepted until an operator releases them.
     */
    public static final String HELD_FOR_REVIEW = "held_for_review";

    public Refused {
      Objects.requireNonNull(code);
      Objects.requireNonNull(message);
    }

    public Refused(String code, String message, Duration retryAfter) {
      this(code, message, retryAfter, null);
    }

    public static Refused of(String code, String message) {
      return new Refused(code, message, null, null);
    }

    /** This refusal, naming how many of a group's members it is about. */
    public Refused withMembers(int count) {
      return new Refused(code, message, retryAfter, count);
    }
  }
}
