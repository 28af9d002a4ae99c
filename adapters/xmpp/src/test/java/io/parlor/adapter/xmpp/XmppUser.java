package io.parlor.adapter.xmpp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.jivesoftware.smack.ConnectionConfiguration;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.ExtensionElement;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.packet.StandardExtensionElement;
import org.jivesoftware.smack.packet.StanzaFactory;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jxmpp.jid.impl.JidCreate;

/**
 * A person's XMPP client, played by Smack (an XMPP library Parlor does not use) signed in to the
 * test's Prosody: sends messages with whatever extension elements a test gives, and keeps every
 * message it receives.
 */
public final class XmppUser implements AutoCloseable {
  /** Smack's own log: a closed stream is expected in these tests, and its stack trace is noise. */
  private static final java.util.logging.Logger SMACK = java.util.logging.Logger.getLogger("org.jivesoftware.smack");

  static {
    SMACK.setLevel(java.util.logging.Level.OFF);
  }

  private final XMPPTCPConnection connection;
  private final List<Message> received = new CopyOnWriteArrayList<>();

  public XmppUser(ProsodyServer server, String user, String password) throws Exception {
    XMPPTCPConnectionConfiguration config = XMPPTCPConnectionConfiguration.builder()
        .setXmppDomain(ProsodyServer.DOMAIN)
        .setHost("127.0.0.1")
        .setPort(server.c2sPort)
        .setUsernameAndPassword(user, password)
        .setResource("phone")
        .setSecurityMode(ConnectionConfiguration.SecurityMode.disabled)
        .setConnectTimeout(10_000)
        .build();
    connection = new XMPPTCPConnection(config);
    connection.addAsyncStanzaListener(s -> received.add((Message) s), StanzaTypeFilter.MESSAGE);
    connection.connect().login();
  }

  /** An extension element: name, namespace, attributes (name, value, ...), text. */
  public static StandardExtensionElement el(String name, String ns, String text, String... attrs) {
    StandardExtensionElement.Builder b = StandardExtensionElement.builder(name, ns);
    for (int i = 0; i + 1 < attrs.length; i += 2) {
      b.addAttribute(attrs[i], attrs[i + 1]);
    }
    if (text != null) {
      b.setText(text);
    }
    return b.build();
  }

  /** Sends a chat message with this stanza id, body (may be null) and extensions. */
  public void send(String to, String id, String body, ExtensionElement... extensions) throws Exception {
    MessageBuilder m = new StanzaFactory(() -> id).buildMessageStanza().to(JidCreate.from(to))
        .ofType(Message.Type.chat);
    if (body != null) {
      m.setBody(body);
    }
    for (ExtensionElement e : extensions) {
      m.addExtension(e);
    }
    connection.sendStanza(m.build());
  }

  /** The first message received that matches, waiting up to {@code wait}. */
  public Message await(String what, Duration wait, Predicate<Message> p) throws InterruptedException {
    long until = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < until) {
      for (Message m : received) {
        if (p.test(m)) {
          return m;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no message " + what + " within " + wait + "; received: " + describe());
  }

  public List<Message> received() {
    return new ArrayList<>(received);
  }

  /** The first child element of {@code m} with this name and namespace, as Smack parsed it. */
  public static StandardExtensionElement ext(Message m, String name, String ns) {
    ExtensionElement e = m.getExtensionElement(name, ns);
    return e instanceof StandardExtensionElement s ? s : null;
  }

  public static Map<String, String> attrs(Message m, String name, String ns) {
    StandardExtensionElement e = ext(m, name, ns);
    return e == null ? Map.of() : e.getAttributes();
  }

  private String describe() {
    StringBuilder b = new StringBuilder();
    for (Message m : received) {
      b.append("\n  ").append(m.toXML());
    }
    return b.toString();
  }

  @Override
  public void close() {
    connection.disconnect();
  }
}
