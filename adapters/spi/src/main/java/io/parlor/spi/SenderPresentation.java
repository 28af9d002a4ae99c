package io.parlor.spi;

import io.parlor.spi.envelope.Address;
import java.util.List;
import java.util.Objects;

/**
 * How a network can show who sent a message, and so how a reply finds its way back. The core owns
 * every mapping; the adapter only declares what its network can carry.
 *
 * <ul>
 *   <li>{@link RelayAddress}: the network shows any address in {@code from}; the core puts a relay
 *       handle ({@code ~xxxx}) there and a reply is addressed to it (the webhook protocol).
 *   <li>{@link NumberPool}: the network shows a phone number; the core gives each (person,
 *       counterpart) pair one number of the pool and delivers with {@code from} set to that
 *       account; an inbound message {@code to} a pool number reaches that counterpart (SMS).
 *   <li>{@link SingleIdentity}: every message comes from one business identity (a WhatsApp
 *       business number, a Messenger page); the adapter shows the sender's name in the message
 *       and the core routes replies by the platform's reply context ({@code replyTo} = the network
 *       message id being answered), else to the person's most recent conversation. Inbound
 *       messages carry {@code to} = the identity's own account address.
 * </ul>
 */
@Incubating
public sealed interface SenderPresentation {

  /** Any address can be shown in {@code from}. */
  record RelayAddress() implements SenderPresentation {}

  /** A pool of this network's own accounts (e.g. {@code sms:+447700900001}) shown as senders. */
  record NumberPool(List<Address> pool) implements SenderPresentation {
    public NumberPool {
      pool = List.copyOf(pool);
      if (pool.isEmpty()) {
        throw new IllegalArgumentException("number pool must not be empty");
      }
    }
  }

  /**
   * Every message is sent by this one account of the network (e.g. {@code whatsapp:+1555...}).
   * {@code replyContext}: whether the network tells which message a reply answers (WhatsApp,
   * Messenger); without it (SMS from a short code) the core keeps no per-message reference, only
   * the most recent conversation.
   */
  record SingleIdentity(Address self, boolean replyContext) implements SenderPresentation {
    public SingleIdentity {
      Objects.requireNonNull(self);
    }

    /** An identity whose network carries reply context. */
    public SingleIdentity(Address self) {
      this(self, true);
    }
  }
}
