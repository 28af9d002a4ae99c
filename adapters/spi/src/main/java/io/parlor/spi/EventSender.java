package io.parlor.spi;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.MessageId;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Optional adapter feature: shows a typing indicator on the network (networks that declare {@link
 * io.parlor.spi.envelope.EventKind#TYPING}). Obtained with {@link Adapter#feature(Class)}. Best
 * effort: never retried, nothing is stored; must not block.
 */
@Incubating
public interface EventSender {

  /**
   * Shows that {@code notice.from()} started or stopped typing.
   *
   * @return completes when the network took it, exceptionally with a {@link DeliveryException}
   */
  CompletionStage<Void> typing(TypingNotice notice);

  /**
   * A typing indicator for one recipient.
   *
   * @param recipient the recipient's account on this network
   * @param from the other party as this recipient sees them (relay handle or public handle)
   * @param on started (true) or stopped (false)
   * @param lastReceived the latest message the recipient sent in this conversation, as this
   *     network knows it, or null (a platform that anchors typing to a message needs it)
   * @param alsoRead the typist allows read receipts: a platform whose typing indicator also marks
   *     {@code lastReceived} read (WhatsApp) may show it; otherwise it must not
   * @param group inside a group, the group as this recipient addresses it (their own group
   *     address), else null; the core sends group typing only to networks that show many
   *     identities (never to a single business identity or a number pool)
   */
  record TypingNotice(Address recipient, Address from, boolean on, MessageId lastReceived, boolean alsoRead,
      Address group) {
    public TypingNotice {
      Objects.requireNonNull(recipient, "recipient");
      Objects.requireNonNull(from, "from");
    }

    /** A typing indicator of a one-to-one conversation. */
    public TypingNotice(Address recipient, Address from, boolean on, MessageId lastReceived, boolean alsoRead) {
      this(recipient, from, on, lastReceived, alsoRead, null);
    }
  }
}
