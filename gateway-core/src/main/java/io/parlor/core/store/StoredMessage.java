package io.parlor.core.store;

import io.parlor.core.linking.PartyKey;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.time.Instant;

/**
 * A queued message.
 *
 * @param gid gateway id, the idempotency key towards destination networks
 * @param seq acceptance order
 * @param sourceNetwork the network that sent it
 * @param sourceId the id the source network gave it
 * @param conversation ordering key: messages of one conversation are delivered in order
 * @param sender who sent it (what a reply reaches)
 * @param recipient who it is for
 * @param envelope the envelope as the recipient should see it ({@code from} is the relay handle)
 * @param deadline never delivered at or after this instant (timer expiry or the queue's max age)
 * @param refs the messages it refers to, in Parlor's terms ({@link MessageRefs#NONE} for none)
 */
public record StoredMessage(
    String gid,
    long seq,
    NetworkId sourceNetwork,
    MessageId sourceId,
    String conversation,
    PartyKey sender,
    PartyKey recipient,
    Envelope envelope,
    Instant deadline,
    MessageRefs refs) {

  /**
   * The sequence number of a message inserted on PostgreSQL's writer, before its unit ran: the
   * nodes sharing that store read it with the lane ({@code DeliveryScheduler}).
   */
  public static final long SEQ_UNKNOWN = -1;

  public StoredMessage {
    refs = refs == null ? MessageRefs.NONE : refs;
  }

  /** A message without references. */
  public StoredMessage(
      String gid,
      long seq,
      NetworkId sourceNetwork,
      MessageId sourceId,
      String conversation,
      PartyKey sender,
      PartyKey recipient,
      Envelope envelope,
      Instant deadline) {
    this(gid, seq, sourceNetwork, sourceId, conversation, sender, recipient, envelope, deadline, MessageRefs.NONE);
  }

  @Override
  public String toString() {
    return "StoredMessage[gid=" + gid + ", network=" + sourceNetwork + "]";
  }
}
