package io.parlor.tck;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.NetworkId;
import java.time.Duration;
import java.util.List;

/**
 * A controllable stand-in for an adapter's network, which the adapter's kit test supplies: a real
 * server of its protocol where there is one (an SMSC, an XMPP server, an HTTP stub of the
 * platform's API), driven by the kit. What a network cannot do is left to the defaults, which say
 * so, and the kit skips the rules that need it (never the whole kit).
 */
public interface NetworkFake extends AutoCloseable {

  /** The network id the adapter is configured with. */
  NetworkId network();

  /** An account of this network that the adapter can deliver to. */
  Address recipient();

  /** A message this network's user sent to Parlor, as the fake tracks it. */
  interface Sent {}

  /** Makes the network's user send {@code text} to Parlor. Returns at once. */
  Sent sendText(String text) throws Exception;

  /** Sends {@code sent} again as the network redelivers it; false when the network never does. */
  default boolean redeliver(Sent sent) throws Exception {
    return false;
  }

  /** What the network was answered about a message its user sent. */
  enum Ack {
    /** Nothing yet. */
    PENDING,
    /** Told it was taken: it will not be sent again. */
    TAKEN,
    /** Told to send it again later. */
    RETRY,
    /** Told it was refused for good. */
    REFUSED
  }

  /** Whether the network acknowledges what its users send, so {@link #ackOf} means something. */
  default boolean acknowledges() {
    return false;
  }

  default Ack ackOf(Sent sent) {
    throw new UnsupportedOperationException("this network acknowledges nothing");
  }

  /** What the network received from the adapter: its kind as the network shows it, and text. */
  record Delivered(ContentKind kind, String text) {}

  /** Everything the adapter delivered, oldest first. */
  List<Delivered> delivered();

  /** How the network answers the next delivery. */
  enum Failure {
    /** A failure that may pass (a 5xx, a busy SMSC). */
    TRANSIENT,
    /** A failure retrying will not fix (an unknown recipient). */
    PERMANENT
  }

  /** Makes the next delivery fail so; false when this network never answers a delivery so. */
  default boolean failNext(Failure failure) throws Exception {
    return false;
  }

  /** Makes the next delivery be refused for a rate limit naming {@code wait}; false when it cannot. */
  default boolean rateLimitNext(Duration wait) throws Exception {
    return false;
  }

  /** Makes the next delivery take {@code delay} to be answered; false when it cannot. */
  default boolean slowNext(Duration delay) throws Exception {
    return false;
  }

  /** Takes the network away (the server stops, the connection drops). */
  void goDown() throws Exception;

  /** Brings it back. */
  void comeBack() throws Exception;

  /** Whether the adapter holds a connection, so its health must show an outage by itself. */
  default boolean connectionOriented() {
    return false;
  }

  /** Reports the last delivery as delivered to its recipient (a delivery receipt); false when it cannot. */
  default boolean receiptOfLast() throws Exception {
    return false;
  }

  /** The recipient reads the last delivery (a read event towards Parlor); false when it cannot. */
  default boolean readLast() throws Exception {
    return false;
  }

  /** How many read marks the network has shown its users for messages they sent. */
  default int readsShown() {
    return 0;
  }

  /** How many typing indicators the network has shown its users. */
  default int typingShown() {
    return 0;
  }

  /** Whether {@code t} is one of the fake's own threads (never counted as the adapter's). */
  default boolean ownThread(Thread t) {
    return false;
  }

  /** How long the network may take to show what it was sent. */
  default Duration patience() {
    return Duration.ofSeconds(10);
  }
}
