package io.parlor.spi;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.MessageId;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What became of a message a network sent (contract 3.3 and part 2).
 *
 * @param id the id the source network gave the message
 * @param status the outcome
 * @param reason short reason code ({@code recipient_unknown}, {@code expired}, ...), may be empty
 * @param at when it happened
 * @param as for a delivered message: how its content reached the recipient ({@link Grade#NATIVE}
 *     or as a text {@link Grade#FALLBACK}); null when there was nothing to grade
 * @param account for a {@link Status#READ} status: the sender's account on this network, which
 *     platforms need to mark their thread read (Messenger's {@code mark_seen}); null otherwise
 * @param members for a message to a group (contract part 2, section 5): how its legs to the
 *     other members ended; null otherwise
 */
public record StatusReport(
    MessageId id, Status status, String reason, Instant at, Grade as, Address account, Members members) {
  /**
   * How a group message's legs ended: delivered, failed (or expired), still pending; on a {@link
   * Status#READ} status, how many members have read it ({@code read}; never who).
   */
  public record Members(int delivered, int failed, int pending, int read) {
    public Members {
      if (delivered < 0 || failed < 0 || pending < 0 || read < 0) {
        throw new IllegalArgumentException("member counts are never negative");
      }
    }

    /** The counts of a group message's legs when they ended. */
    public Members(int delivered, int failed, int pending) {
      this(delivered, failed, pending, 0);
    }

    /** The count on a read status. */
    public static Members read(int read) {
      return new Members(0, 0, 0, read);
    }
  }

  /** Outcomes reported to the sender's network. */
  public enum Status {
    DELIVERED,
    FAILED,
    EXPIRED,
    REJECTED,
    /** The recipient read it (only to networks that declare read events). */
    READ;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** How delivered content reached the recipient (contract part 2, section 3). */
  public enum Grade {
    NATIVE,
    FALLBACK;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A status without grade or account. */
  public StatusReport(MessageId id, Status status, String reason, Instant at) {
    this(id, status, reason, at, null, null, null);
  }

  /** A status of a message outside groups. */
  public StatusReport(MessageId id, Status status, String reason, Instant at, Grade as, Address account) {
    this(id, status, reason, at, as, account, null);
  }

  public Optional<Members> membersOpt() {
    return Optional.ofNullable(members);
  }

  public Optional<Grade> asOpt() {
    return Optional.ofNullable(as);
  }

  public Optional<Address> accountOpt() {
    return Optional.ofNullable(account);
  }

  public StatusReport {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(at, "at");
    reason = reason == null ? "" : reason;
  }
}
