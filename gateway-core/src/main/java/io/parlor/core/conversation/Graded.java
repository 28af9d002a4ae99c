package io.parlor.core.conversation;

import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Envelope;
import java.util.Objects;

/** How one queued message goes to one destination: sent (natively or as a fallback), or not sent. */
public sealed interface Graded {

  /**
   * Send {@code envelope}.
   *
   * @param grade how a version 2 content kind is carried; null for text and encrypted content
   */
  record Send(Envelope envelope, StatusReport.Grade grade) implements Graded {
    public Send {
      Objects.requireNonNull(envelope);
    }
  }

  /**
   * Nothing to send: the message leaves the queue with this status.
   *
   * @param status {@code failed} (dropped: {@code unsupported}, {@code delete_unsupported}) or
   *     {@code delivered} (nothing left to do: a delete whose target never reached the recipient)
   * @param reason the status reason
   */
  record Skip(StatusReport.Status status, String reason) implements Graded {
    public static final String UNSUPPORTED = "unsupported";
    public static final String DELETE_UNSUPPORTED = "delete_unsupported";
  }
}
