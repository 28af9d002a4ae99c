package io.parlor.adapter.smpp;

import java.time.LocalDateTime;
import java.util.Locale;

/**
 * A parsed SMSC delivery receipt. Immutable.
 *
 * @param messageId the SMSC message id it reports on, as sent (normalize with {@link MessageIds})
 * @param state the message state
 * @param error the SMSC's error code ({@code err:} or the {@code network_error_code} TLV), may be
 *     empty
 * @param submitDate {@code submit date:} in the SMSC's local time, may be null
 * @param doneDate {@code done date:} in the SMSC's local time, may be null
 */
record DeliveryReceipt(
    String messageId, State state, String error, LocalDateTime submitDate, LocalDateTime doneDate) {

  DeliveryReceipt {
    error = error == null ? "" : error;
  }

  /** SMPP 3.4 message states (5.2.28) with the receipt text's {@code stat:} spellings. */
  enum State {
    ENROUTE(1),
    DELIVERED(2),
    EXPIRED(3),
    DELETED(4),
    UNDELIVERABLE(5),
    ACCEPTED(6),
    UNKNOWN(7),
    REJECTED(8),
    SKIPPED(9);

    final int tlvValue;

    State(int tlvValue) {
      this.tlvValue = tlvValue;
    }

    /** The state of a {@code message_state} TLV value; UNKNOWN for values outside the table. */
    static State ofTlv(int v) {
      for (State s : values()) {
        if (s.tlvValue == v) {
          return s;
        }
      }
      return UNKNOWN;
    }

    /** The state of a {@code stat:} value (DELIVRD, UNDELIV, ...), lenient about spelling. */
    static State ofText(String stat) {
      String s = stat.toUpperCase(Locale.ROOT);
      if (s.startsWith("DELIV")) {
        return DELIVERED;
      }
      if (s.startsWith("EXPIR")) {
        return EXPIRED;
      }
      if (s.startsWith("DELET")) {
        return DELETED;
      }
      if (s.startsWith("UNDEL") || s.startsWith("FAIL")) {
        return UNDELIVERABLE;
      }
      if (s.startsWith("ACCEP")) {
        return ACCEPTED;
      }
      if (s.startsWith("REJEC")) {
        return REJECTED;
      }
      if (s.startsWith("ENROU")) {
        return ENROUTE;
      }
      if (s.startsWith("SKIP")) {
        return SKIPPED;
      }
      return UNKNOWN;
    }

    /**
     * The final outcome this state means, or null when it is intermediate. ACCEPTED and UNKNOWN
     * are treated as intermediate: SMSCs send them as progress notes more often than as outcomes.
     */
    SmsReceipt.Outcome outcome() {
      switch (this) {
        case DELIVERED:
          return SmsReceipt.Outcome.DELIVERED;
        case EXPIRED:
          return SmsReceipt.Outcome.EXPIRED;
        case DELETED:
        case UNDELIVERABLE:
        case REJECTED:
        case SKIPPED:
          return SmsReceipt.Outcome.FAILED;
        default:
          return null;
      }
    }
  }

  @Override
  public String toString() {
    return "DeliveryReceipt[state=" + state + ", error=" + error + "]";
  }
}
