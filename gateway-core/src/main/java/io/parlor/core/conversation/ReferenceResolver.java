package io.parlor.core.conversation;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.routing.ReferenceTable;
import io.parlor.core.store.MessageRefs;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.sql.Connection;
import java.sql.SQLException;
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
    Optional<ReferenceTable.Leg> received = ReferenceTable.received(c, network, id.value(), sender);
    if (received.isPresent()) {
      ReferenceTable.Leg leg = received.get();
      if (!leg.represents().equals(recipient)) {
        return new NotTheirs();
      }
      return new Found(new MessageRefs.Ref(leg.sourceNetwork(), leg.sourceId(), MessageRefs.Author.RECIPIENT), Optional.empty());
    }
    MessageRefs.Ref own = new MessageRefs.Ref(network, id, MessageRefs.Author.SENDER);
    if (ReferenceTable.sent(c, network, id, sender, recipient).isPresent()) {
      return new Found(own, Optional.empty());
    }
    Optional<StoredMessage> queued = MessageTable.queued(c, network, id);
    if (queued.isPresent()) {
      StoredMessage q = queued.get();
      if (!q.sender().equals(sender)) {
        return new NotTheirs();
      }
      return q.recipient().equals(recipient) ? new Found(own, queued) : new Unknown();
    }
    return new Unknown();
  }
}
