package io.parlor.adapter.xmpp;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.tck.AdapterConformanceKit;
import io.parlor.tck.NetworkFake;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.jivesoftware.smack.packet.Message;

/** The conformance kit against the XMPP adapter, its network a real Prosody with a Smack user. */
class XmppConformanceIT extends AdapterConformanceKit {
  static final String COMPONENT = "parlor.localhost";
  static final String SECRET = "component-secret-0123456789";

  @Override
  protected NetworkFake startNetwork() throws Exception {
    return new ProsodyNetwork();
  }

  @Override
  protected Adapter createAdapter(NetworkFake network, AdapterContext context) {
    ProsodyNetwork n = (ProsodyNetwork) network;
    return new XmppAdapter(new XmppConfig(COMPONENT, "127.0.0.1", n.prosody.componentPort, SECRET, 1000,
        Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(30), 100), context);
  }

  /** Prosody, and alice on it in a Smack client. */
  static final class ProsodyNetwork implements NetworkFake {
    final Path dir;
    final ProsodyServer prosody;
    private final List<Message> before = new ArrayList<>();
    private XmppUser alice;

    record Stanza(String id, String text) implements Sent {}

    ProsodyNetwork() throws Exception {
      dir = Files.createTempDirectory("parlor-kit-prosody");
      prosody = new ProsodyServer(dir, COMPONENT, SECRET);
      prosody.register("alice", "alice-password");
      alice = new XmppUser(prosody, "alice", "alice-password");
    }

    @Override
    public NetworkId network() {
      return NetworkId.of("xmpp");
    }

    @Override
    public Address recipient() {
      return Address.of("xmpp:alice@localhost");
    }

    @Override
    public Sent sendText(String text) throws Exception {
      Stanza s = new Stanza("kit-" + UUID.randomUUID(), text);
      alice.send("~kit0peer@" + COMPONENT, s.id(), text);
      return s;
    }

    @Override
    public boolean redeliver(Sent sent) throws Exception {
      Stanza s = (Stanza) sent;
      alice.send("~kit0peer@" + COMPONENT, s.id(), s.text());
      return true;
    }

    private List<Message> received() {
      List<Message> all = new ArrayList<>(before);
      all.addAll(alice.received());
      return all;
    }

    @Override
    public List<Delivered> delivered() {
      List<Delivered> out = new ArrayList<>();
      for (Message m : received()) {
        if (m.getType() == Message.Type.error || m.getFrom() == null || !m.getFrom().toString().endsWith(COMPONENT)) {
          continue;
        }
        if (XmppUser.ext(m, "reactions", Ns.REACTIONS) != null) {
          out.add(new Delivered(ContentKind.REACTION, null));
        } else if (XmppUser.ext(m, "replace", Ns.CORRECT) != null) {
          out.add(new Delivered(ContentKind.EDIT, m.getBody()));
        } else if (XmppUser.ext(m, "retract", Ns.RETRACT) != null) {
          out.add(new Delivered(ContentKind.DELETE, null));
        } else if (XmppUser.ext(m, "x", Ns.OOB) != null) {
          out.add(new Delivered(ContentKind.MEDIA, m.getBody()));
        } else if (m.getBody() != null) {
          out.add(new Delivered(ContentKind.TEXT, m.getBody()));
        }
      }
      return out;
    }

    /** The last stanza Parlor delivered, once alice's client has it. */
    private Message lastDelivery() throws InterruptedException {
      long until = System.nanoTime() + patience().toNanos();
      while (System.nanoTime() < until) {
        List<Message> all = received();
        for (int i = all.size() - 1; i >= 0; i--) {
          if (all.get(i).getStanzaId() != null && all.get(i).getStanzaId().startsWith("p.")) {
            return all.get(i);
          }
        }
        Thread.sleep(10);
      }
      throw new IllegalStateException("nothing delivered reached alice");
    }

    @Override
    public void goDown() throws Exception {
      prosody.stop();
    }

    @Override
    public void comeBack() throws Exception {
      prosody.start();
      before.addAll(alice.received());
      alice.close();
      alice = new XmppUser(prosody, "alice", "alice-password");
    }

    @Override
    public boolean connectionOriented() {
      return true;
    }

    @Override
    public boolean receiptOfLast() throws Exception {
      Message m = lastDelivery();
      alice.send(m.getFrom().asBareJid().toString(), "rc-" + UUID.randomUUID(), null,
          XmppUser.el("received", Ns.RECEIPTS, null, "id", m.getStanzaId()));
      return true;
    }

    @Override
    public boolean readLast() throws Exception {
      Message m = lastDelivery();
      alice.send(m.getFrom().asBareJid().toString(), "mk-" + UUID.randomUUID(), null,
          XmppUser.el("displayed", Ns.MARKERS, null, "id", m.getStanzaId()));
      return true;
    }

    @Override
    public int readsShown() {
      return (int) received().stream().filter(m -> XmppUser.ext(m, "displayed", Ns.MARKERS) != null).count();
    }

    @Override
    public int typingShown() {
      return (int) received().stream().filter(m -> XmppUser.ext(m, "composing", Ns.CHAT_STATES) != null).count();
    }

    @Override
    public boolean ownThread(Thread t) {
      return t.getName().contains("Smack");
    }

    @Override
    public void close() throws Exception {
      alice.close();
      prosody.close();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
