package io.parlor.core.conversation;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.routing.ReferenceTable;
import io.parlor.core.store.MessageRefs;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Resolves a reference a network sent ({@code replyTo}, a content target) into Parlor's own terms
 * at ingress (contract part 2, section 1): a network refers to a message it received by the id
 * Parlor delivered it under, and to a message it sent by its own id. Only messages of the
 * conversation between the two parties resolve. Runs on the store's writer; not thread-safe.
 */
public final class ReferenceResolver {
  private ReferenceResolver() {}

  /** What a reference names. */
  public sealed interface Resolution {}

  /**
   * A message of this conversation.
   *
   * @param ref the message in Parlor's terms
   * @param queued the message itself when it is still queued (not yet delivered), else empty
   */
  public record Found(MessageRefs.Ref ref, Optional<StoredMessage> queued) implements Resolution {}

  /** A message the sender received from someone else: they may react to it, not edit or delete it. */
  public record NotTheirs() implements Resolution {}

  /** Nothing Parlor knows in this conversation (never existed, purged, or another conversation). */
  public record Unknown() implements Resolution {}

  /**
   * @param network the network that sent the reference
   * @param id the reference as that network gave it
   * @param sender the party whose message carries the reference
   * @param recipient the other party of the conversation
   */
  public static Resolution resolve(Connection c, NetworkId network, MessageId id, PartyKey sender, PartyKey recipient)
      throws SQLException {
    return resolve(c, network, id, sender, recipient, null);
  }

  /**
   * As {@link #resolve(Connection, NetworkId, MessageId, PartyKey, PartyKey)}, inside group
   * {@code groupId} (null outside groups): there a message another member wrote to the group is
   * found too, as {@link MessageRefs.Author#MEMBER}.
   */
  public static Resolution resolve(
      Connection c, NetworkId network, MessageId id, PartyKey sender, PartyKey recipient, String groupId)
      throws SQLException {
    Optional<ReferenceTable.Leg> received = ReferenceTable.received(c, network, id.value(), sender);
    if (received.isPresent()) {
      ReferenceTable.Leg leg = received.get();
      if (!leg.represents().equals(recipient)) {
        if (groupId != null && groupId.equals(leg.groupId())) {
          return new Found(new MessageRefs.Ref(leg.sourceNetwork(), leg.sourceId(), MessageRefs.Author.MEMBER),
              Optional.empty());
        }
        return new NotTheirs();
      }
      return new Found(new MessageRefs.Ref(leg.sourceNetwork(), leg.sourceId(), MessageRefs.Author.RECIPIENT), Optional.empty());
    }
    MessageRefs.Ref own = new MessageRefs.Ref(network, id, MessageRefs.Author.SENDER);
    if (ReferenceTable.sent(c, network, id, sender, recipient).isPresent()) {
      return new Found(own, Optional.empty());
    }
    // a group message has one queued leg per member still waiting: the one to this recipient
    List<StoredMessage> queued = MessageTable.queued(c, network, id);
    if (!queued.isEmpty()) {
      if (!queued.get(0).sender().equals(sender)) {
        return new NotTheirs();
      }
      for (StoredMessage q : queued) {
        if (q.recipient().equals(recipient)) {
          return new Found(own, Optional.of(q));
        }
      }
      return new Unknown();
    }
    return new Unknown();
  }

  /**
   * The message's references in Parlor's terms, or why it is refused: an edit or delete only of
   * the sender's own message ({@code not_sender}), a reaction, edit or delete only of a message
   * of this conversation ({@code unknown_reference}); a {@code replyTo} Parlor does not know is
   * left out.
   *
   * @param queuedTarget the still-queued message a delete takes back, or null
   */
  public record References(MessageRefs refs, IngressResult.Refused refusal, StoredMessage queuedTarget) {}

  public static References forMessage(
      Connection c, NetworkId source, Envelope e, PartyKey sender, PartyKey recipient)
      throws SQLException {
    return forMessage(c, source, e, sender, recipient, null);
  }

  /** As {@link #forMessage(Connection, NetworkId, Envelope, PartyKey, PartyKey)}, for one leg of a message to group {@code groupId}. */
  public static References forMessage(
      Connection c, NetworkId source, Envelope e, PartyKey sender, PartyKey recipient, String groupId)
      throws SQLException {
    MessageRefs.Ref replyTo = null;
    if (e.replyTo() != null
        && resolve(c, source, e.replyTo(), sender, recipient, groupId) instanceof Found f) {
      replyTo = f.ref();
    }
    java.util.Optional<io.parlor.spi.envelope.MessageId> target = e.content().targetOpt();
    if (target.isEmpty()) {
      return new References(new MessageRefs(replyTo, null, false), null, null);
    }
    Resolution r = resolve(c, source, target.get(), sender, recipient, groupId);
    boolean own = e.content() instanceof Content.Edit || e.content() instanceof Content.Delete;
    if (!(r instanceof Found found)) {
      return new References(null, own && r instanceof NotTheirs ? NOT_SENDER : UNKNOWN_REFERENCE, null);
    }
    if (own && found.ref().author() != MessageRefs.Author.SENDER) {
      return new References(null, NOT_SENDER, null);
    }
    StoredMessage queued = e.content() instanceof Content.Delete ? found.queued().orElse(null) : null;
    return new References(new MessageRefs(replyTo, found.ref(), queued != null), null, queued);
  }

  private static final IngressResult.Refused NOT_SENDER =
      IngressResult.Refused.of(IngressResult.Refused.NOT_SENDER, "content.target: only its sender may edit or delete a message");
  private static final IngressResult.Refused UNKNOWN_REFERENCE =
      IngressResult.Refused.of(
          IngressResult.Refused.UNKNOWN_REFERENCE, "content.target: no such message in this conversation (or it is too old)");

}
