package io.parlor.core.delivery;

import io.parlor.core.conversation.Graded;
import io.parlor.core.conversation.Grader;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.routing.Network;
import io.parlor.core.routing.NetworkRegistry;
import io.parlor.core.routing.ReferenceTable;
import io.parlor.core.routing.ReplyTable;
import io.parlor.core.routing.Router;
import io.parlor.core.store.MessageRefs;
import io.parlor.core.store.Store;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.SenderPresentation;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Prepares a queued message for the destination chosen for one attempt (contract part 2):
 * grades it, translates its references, mints capability URLs for held media, shows the sender
 * as the network can, and records the delivered leg's reference afterwards. Thread-safe; what
 * needs the store runs on its writer (so that it sees the leg the conversation's previous message
 * just recorded).
 */
final class Preparer {
  private final Store store;
  private final DeliveryScheduler.Preparation preparation;
  private final Clock clock;
  private final NetworkRegistry networks;

  Preparer(Store store, DeliveryScheduler.Preparation preparation, Clock clock, NetworkRegistry networks) {
    this.store = store;
    this.preparation = preparation;
    this.clock = clock;
    this.networks = networks;
  }

  /**
   * The message as the destination should get it: graded (native, fallback or not at all, see
   * {@link Grader}), references translated into the ids the destination knows, held media
   * replaced by a capability URL, its timer rounded down for the network, and the sender shown as
   * the network can show them (for number masking, the pool number of this pair). Plain text
   * needs none of the store's help.
   */
  CompletionStage<Graded> prepare(StoredMessage m, Router.Target t) {
    Envelope adapted = Router.adapt(m.envelope(), t.network());
    SenderPresentation p = t.network().adapter().senderPresentation();
    SenderPresentation.NumberPool pool = p instanceof SenderPresentation.NumberPool np ? np : null;
    boolean held = adapted.content() instanceof Content.Media media && media.held();
    boolean reaction = adapted.content() instanceof Content.Reaction;
    if (!m.refs().needsLookup() && !held && !reaction && pool == null) {
      return CompletableFuture.completedFuture(
          grade(m, adapted, t, translateOwnless(m.refs().replyTo(), t), translateOwnless(m.refs().target(), t), true, true));
    }
    return store
        .write(
            c -> {
              Envelope env = adapted;
              if (pool != null) {
                if (env.group() != null && env.content() instanceof Content.Text text) {
                  // the group's number stands for everyone in it: the text names the group and
                  // the sender (as presented) before the number replaces them
                  env = env.withContent(new Content.Text(env.group().label(env.from().value()) + ": " + text.text()))
                      .withGroup(null);
                }
                // one number per (recipient, counterpart): for a group's message the group, so
                // that an SMS back to it goes to the group
                env = env.withFrom(
                    ReplyTable.poolNumber(c, t.network().id(), m.recipient(),
                        io.parlor.core.groups.GroupLegs.groupOf(m).orElse(m.sender()), pool.pool(), clock.instant()));
              }
              if (held) {
                Content.Media media = (Content.Media) env.content();
                env = env.withContent(media.withUrl(preparation.media().mint(c, m.sourceNetwork(), media, m.sender())));
              }
              boolean reactionFallback =
                  !reaction || !m.recipient().isPerson()
                      || PeopleTable.find(c, m.recipient().personId())
                          .map(x -> x.conversation().reactionFallback()).orElse(true);
              // another member's message is quoted only to a member who received it (one who
              // joined later, or blocked its author, never sees its text through a reaction)
              MessageRefs.Ref tr = m.refs().target();
              boolean quotable = tr == null || tr.author() != MessageRefs.Author.MEMBER
                  || ReferenceTable.sent(c, tr.network(), tr.id(), null, m.recipient()).isPresent();
              return grade(m, env, t, translate(c, m.refs().replyTo(), m, t), translate(c, m.refs().target(), m, t),
                  reactionFallback, quotable);
            });
  }

  /** Grades the message with its references as the destination knows them (null: unknown there). */
  private Graded grade(
      StoredMessage m, Envelope env, Router.Target t, MessageId replyTo, MessageId target, boolean reactionFallback,
      boolean quotable) {
    MessageRefs.Ref tr = m.refs().target();
    String quote = tr == null || !quotable ? null : preparation.snippets().get(tr.network(), tr.id());
    return Grader.grade(
        env, m.refs(), t.network().adapter().capabilities(),
        new Grader.Context(replyTo, target, reactionFallback, quote));
  }

  /**
   * The id the destination knows for a referenced message, or null when it knows none: a message
   * the recipient wrote is known by its own id on the network it came from; one the sender (or,
   * in a group, another member) wrote, by the leg it was delivered as to this recipient.
   */
  private static MessageId translate(java.sql.Connection c, MessageRefs.Ref ref, StoredMessage m, Router.Target t)
      throws java.sql.SQLException {
    if (ref == null || ref.author() == MessageRefs.Author.RECIPIENT) {
      return translateOwnless(ref, t);
    }
    // another group member's message: by the leg it was delivered as to this recipient
    io.parlor.core.linking.PartyKey author = ref.author() == MessageRefs.Author.MEMBER ? null : m.sender();
    return ReferenceTable.sent(c, ref.network(), ref.id(), author, m.recipient())
        .filter(leg -> leg.network().equals(t.network().id()))
        .map(leg -> MessageId.of(leg.networkMessageId()))
        .orElse(null);
  }

  /** A reference to a message the recipient wrote: known where they wrote it. */
  private static MessageId translateOwnless(MessageRefs.Ref ref, Router.Target t) {
    if (ref == null || ref.author() != MessageRefs.Author.RECIPIENT) {
      return null;
    }
    return ref.network().equals(t.network().id()) ? ref.id() : null;
  }

  /** Whether the network's people can refer to messages (reply, react, edit, read...). */
  private static boolean referable(Network network) {
    io.parlor.spi.Capabilities caps = network.adapter().capabilities();
    return caps.replies().carries() || !caps.content().isEmpty() || caps.takes(io.parlor.spi.envelope.EventKind.READ);
  }

  private static boolean singleIdentity(Network network) {
    return network.adapter().senderPresentation() instanceof SenderPresentation.SingleIdentity;
  }

  /**
   * Records a delivered message: its reference, where the people of either network can refer to
   * it (the sender edits, deletes or replies to their own message; the recipient answers, reacts
   * or reads), and, on single-identity networks, the recipient's most recent conversation.
   */
  void writeLeg(java.sql.Connection c, StoredMessage m, Network network, DeliveryResult result, java.time.Instant at)
      throws java.sql.SQLException {
    Network source = networks.get(m.sourceNetwork()).orElse(null);
    if (referable(network) || (source != null && referable(source))) {
      // the destination knows the message by its own id when it gave one, else by Parlor's
      String id = result.networkMessageId() != null ? result.networkMessageId() : m.gid();
      String key = ReferenceTable.keyOf(c, m.gid(), m.sourceNetwork(), m.sourceId(), at);
      // the reference lives no longer than the message: a send-started timer's end (or the
      // thread's); a read-started one from the read receipt where the recipient's network sends
      // them, else from this delivery
      io.parlor.spi.envelope.Envelope e = m.envelope();
      java.time.Instant endsAt = e.expiresAt();
      Long readTimer = null;
      if (e.timer() != null && e.timer().start() == io.parlor.spi.envelope.Timer.Start.READ) {
        if (network.adapter().capabilities().takes(io.parlor.spi.envelope.EventKind.READ)) {
          readTimer = e.timer().seconds();
        } else {
          java.time.Instant fromDelivery = at.plusSeconds(e.timer().seconds());
          endsAt = endsAt == null || fromDelivery.isBefore(endsAt) ? fromDelivery : endsAt;
        }
      }
      ReferenceTable.record(
          c, new ReferenceTable.Leg(key, network.id(), id, m.recipient(), m.sender(), m.sourceNetwork(), m.sourceId(),
              at, null, io.parlor.core.groups.GroupLegs.groupOf(m).map(io.parlor.core.linking.PartyKey::groupId).orElse(null)),
          singleIdentity(network) || (source != null && singleIdentity(source)), endsAt, readTimer);
    }
    if (singleIdentity(network)) {
      // a group's message: the member's replies without context go to the group
      ReplyTable.touchRecent(c, network.id(), m.recipient(),
          io.parlor.core.groups.GroupLegs.groupOf(m).orElse(m.sender()), at);
    }
  }
}
