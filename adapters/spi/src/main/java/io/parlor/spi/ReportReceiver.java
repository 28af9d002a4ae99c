package io.parlor.spi;

import io.parlor.spi.envelope.MessageId;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Optional adapter feature: takes reports about messages its network's users sent, so that the
 * network's own safety team sees them (a webhook network with a {@code reportUrl}). Obtained with
 * {@link Adapter#feature(Class)}. A report is pseudonymous: it names the message as the network
 * knows it, never the reporter (only a pseudonym stable for one reporter towards one network), and
 * carries no content unless the reporter attached some. Must not block.
 */
@Incubating
public interface ReportReceiver {

  /**
   * Forwards one report.
   *
   * @return completes when the network took it, exceptionally with a {@link DeliveryException}
   *     (the core retries a transient one a few times)
   */
  CompletionStage<Void> forwardReport(ForwardedReport report);

  /**
   * A report about a message this network sent.
   *
   * @param id the message, as this network knows it (the id it sent it with)
   * @param reason {@code spam}, {@code abuse}, {@code scam} or {@code other}
   * @param reporter a pseudonym of the reporter, the same for their reports to this network within
   *     the node's metadata window, unlinkable to anything else
   * @param at when the report was made
   * @param attachment a JSON object the reporter chose to attach (what they saw), or null
   * @param verified whether the attachment is the message's plaintext, proven by message franking
   *     (the reporter revealed it and the key, and they match what the sender committed to)
   */
  record ForwardedReport(MessageId id, String reason, String reporter, Instant at, String attachment, boolean verified) {
    public ForwardedReport {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(reporter, "reporter");
      Objects.requireNonNull(at, "at");
    }

    /** Not verified. */
    public ForwardedReport(MessageId id, String reason, String reporter, Instant at, String attachment) {
      this(id, reason, reporter, at, attachment, false);
    }
  }
}
