package io.parlor.core.conversation;

import io.parlor.core.linking.SendLimiter;
import io.parlor.core.linking.SystemMessages;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.NetworkId;
import java.time.Duration;

/**
 * Answers a message to a single-identity number (a WhatsApp business number, a Messenger page, an
 * SMS short code) that Parlor could not route — no reply context, no recent conversation, an
 * {@code @name} nobody may be reached at — with one short explanation through the same network.
 * The text is the same whatever the reason, so it reveals nothing about who exists; at most one
 * per account per hour. Thread-safe.
 */
public final class Explainer {
  static final String TEXT =
      "Parlor could not tell who this message is for. Start it with @name to choose who you write to,"
          + " for example: @alice hello";

  private final SystemMessages messages;
  private final SendLimiter perAccount;
  private final SendLimiter confirmations;

  /**
   * @param perAccount explanations per account (one an hour)
   * @param confirmations confirmations of blocks per account (a few an hour: each costs an SMS)
   */
  public Explainer(SystemMessages messages, SendLimiter perAccount, SendLimiter confirmations) {
    this.messages = messages;
    this.perAccount = perAccount;
    this.confirmations = confirmations;
  }

  static final String BLOCKED =
      "Blocked: you will get no more messages from this sender, on any network. You can lift it on"
          + " your Parlor page.";

  /** Confirms a block by reply ({@code STOP}, {@code BLOCK}) to {@code account}. */
  public void confirmBlock(NetworkId network, Address account) {
    if (confirmations.tryAcquire(account.value()).isEmpty()) {
      messages.send(account, BLOCKED, Duration.ofDays(1), "blocked");
    }
  }

  static final String REPORTED =
      "Reported, thank you. You will get no more messages from this sender, on any network. You can"
          + " lift the block on your Parlor page.";

  /** Confirms a report by reply ({@code REPORT}) to {@code account}: it blocked the sender too. */
  public void confirmReport(NetworkId network, Address account) {
    if (confirmations.tryAcquire(account.value()).isEmpty()) {
      messages.send(account, REPORTED, Duration.ofDays(1), "reported");
    }
  }

  /** Sends the explanation to {@code account} unless it got one within the limiter's window. */
  public void explain(NetworkId network, Address account) {
    if (perAccount.tryAcquire("explain:" + account.value()).isEmpty()) {
      messages.send(account, TEXT, Duration.ofDays(1), "explain");
    }
  }
}
