package io.parlor.adapter.xmpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.EventResult;
import io.parlor.spi.HealthState;
import io.parlor.spi.IngressResult;
import io.parlor.spi.NetworkReceipt;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jivesoftware.smack.packet.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter as an external component of a real Prosody, with a Smack client as the person: what
 * she sends reaches the core as envelopes and events, what the core delivers reaches her client
 * with its extensions, a refusal comes back as an error naming her message, and the link reports
 * its health through a bad secret and a server restart.
 */
class XmppComponentIT {
  private static final String COMPONENT = "parlor.localhost";
  private static final String SECRET = "component-secret-0123456789";
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  ProsodyServer prosody;
  XmppUser alice;
  XmppAdapter adapter;
  final List<Envelope> inbound = new CopyOnWriteArrayList<>();
  final List<Event> events = new CopyOnWriteArrayList<>();
  final List<NetworkReceipt> receipts = new CopyOnWriteArrayList<>();
  final List<HealthState> health = new CopyOnWriteArrayList<>();
  volatile IngressResult answer = new IngressResult.Accepted("g1");
  volatile boolean storeDown;

  /** The link's log, read by the tests instead of printed: the failures here are expected. */
  static final java.util.logging.Logger LINK_LOG = java.util.logging.Logger.getLogger(ComponentLink.class.getName());
  final List<String> logged = new CopyOnWriteArrayList<>();
  final java.util.logging.Handler capture = new java.util.logging.Handler() {
    @Override
    public void publish(java.util.logging.LogRecord r) {
      logged.add(r.getLevel() + " " + r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void start() throws Exception {
    LINK_LOG.setUseParentHandlers(false);
    LINK_LOG.addHandler(capture);
    prosody = new ProsodyServer(dir, COMPONENT, SECRET);
    prosody.register("alice", "alice-password");
    adapter = adapter(SECRET);
    adapter.start();
    // a Prosody still starting may take a connection and answer it late: the link's handshake
    // waits 30 s for it before it tries again
    await("connected", Duration.ofSeconds(45), () -> adapter.health().state() == HealthState.CONNECTED);
    alice = new XmppUser(prosody, "alice", "alice-password");
  }

  private XmppAdapter adapter(String secret) {
    return adapter(secret, Duration.ofSeconds(30));
  }

  private XmppAdapter adapter(String secret, Duration keepAlive) {
    XmppConfig config = new XmppConfig(COMPONENT, "127.0.0.1", prosody.componentPort, secret, 1000,
        Duration.ofMillis(50), Duration.ofMillis(200), keepAlive, 100);
    AdapterContext context = new AdapterContext(new NetworkId("xmpp"), Clock.systemUTC(),
        e -> {
          inbound.add(e);
          return storeDown
              ? CompletableFuture.failedFuture(new io.parlor.spi.InboundSink.StoreUnavailableException("down", null))
              : CompletableFuture.completedFuture(answer);
        },
        (n, h) -> health.add(h.state()),
        receipts::add,
        e -> {
          events.add(e);
          return CompletableFuture.completedFuture(EventResult.accepted());
        });
    return new XmppAdapter(config, context);
  }

  @AfterEach
  void stop() throws Exception {
    if (alice != null) {
      alice.close();
    }
    if (adapter != null) {
      adapter.stop(Duration.ofSeconds(1));
    }
    if (prosody != null) {
      prosody.close();
    }
    LINK_LOG.removeHandler(capture);
    LINK_LOG.setUseParentHandlers(true);
  }

  @Test
  void whatAUserSendsReachesTheCoreAndWhatTheCoreDeliversReachesHerClient() throws Exception {
    alice.send("bob@" + COMPONENT, "a-1", "hello bob");
    await("the message", () -> inbound.size() == 1);
    Envelope in = inbound.get(0);
    assertEquals("xmpp:alice@localhost", in.from().value());
    assertEquals("@bob", in.to().value());
    assertEquals("hello bob", ((Content.Text) in.content()).text());
    assertTrue(in.id().value().startsWith("bob/") && in.id().value().endsWith("/a-1"), in.id().value());
    assertTrue(!in.id().value().contains("alice"), "no JID in the stored id");

    Envelope out = new Envelope(MessageId.of("g-77"), Address.of("@bob"), Address.of("xmpp:alice@localhost"),
        Instant.now(), new Content.Text("hi alice & co <3"), null, in.id(), null, false, "Bob");
    DeliveryResult r = adapter.deliver(out, new DeliveryTarget(Address.of("xmpp:alice@localhost"), "k77"))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals("p.k77", r.networkMessageId());
    Message got = alice.await("from bob", WAIT, m -> "hi alice & co <3".equals(m.getBody()));
    assertEquals("bob@" + COMPONENT, got.getFrom().asBareJid().toString());
    assertEquals("p.k77", got.getStanzaId());
    assertEquals("a-1", XmppUser.attrs(got, "reply", Ns.REPLY).get("id"), "a reply names her own stanza id");
    assertNotNull(XmppUser.ext(got, "request", Ns.RECEIPTS));
    assertNotNull(XmppUser.ext(got, "markable", Ns.MARKERS));

    // her client's receipt and marker: a network receipt and a read event
    alice.send("bob@" + COMPONENT, "rc-1", null, XmppUser.el("received", Ns.RECEIPTS, null, "id", "p.k77"));
    alice.send("bob@" + COMPONENT, "mk-1", null, XmppUser.el("displayed", Ns.MARKERS, null, "id", "p.k77"));
    await("the receipt", () -> receipts.size() == 1);
    assertEquals("k77", receipts.get(0).idempotencyKey());
    assertEquals(NetworkReceipt.Outcome.DELIVERED, receipts.get(0).outcome());
    await("the read event", () -> events.stream().anyMatch(e -> e instanceof Event.Read));
    Event.Read read = (Event.Read) events.stream().filter(e -> e instanceof Event.Read).findFirst().orElseThrow();
    assertEquals(List.of(MessageId.of("p.k77")), read.ids());

    // bob read hers: a displayed marker from his JID, naming her stanza id
    adapter.reportStatus(new StatusReport(in.id(), StatusReport.Status.READ, "", Instant.now(), null,
        Address.of("xmpp:alice@localhost"))).toCompletableFuture().get(10, TimeUnit.SECONDS);
    Message marker = alice.await("a displayed marker", WAIT, m -> XmppUser.ext(m, "displayed", Ns.MARKERS) != null);
    assertEquals("a-1", XmppUser.attrs(marker, "displayed", Ns.MARKERS).get("id"));
    assertEquals("bob@" + COMPONENT, marker.getFrom().asBareJid().toString());
  }

  @Test
  void aRefusedMessageComesBackAsAnErrorNamingIt() throws Exception {
    answer = IngressResult.Refused.of(IngressResult.Refused.RECIPIENT_UNREACHABLE, "no such person");
    alice.send("~nobody@" + COMPONENT, "lost-1", "anyone?");
    Message error = alice.await("an error", WAIT, m -> m.getType() == Message.Type.error);
    assertEquals("lost-1", error.getStanzaId());
    assertEquals("recipient-unavailable", error.getError().getCondition().toString());
    assertTrue(error.getError().getDescriptiveText().contains("recipient_unreachable"), error.getError().toString());
    // and a message to the component itself says where to write
    alice.send(COMPONENT, "dom-1", "hello?");
    Message where = alice.await("a second error", WAIT, m -> "dom-1".equals(m.getStanzaId()));
    assertEquals("item-not-found", where.getError().getCondition().toString());
  }

  @Test
  void aMessageTheStoreCouldNotTakeIsAnsweredSoSheSendsItAgain() throws Exception {
    storeDown = true;
    alice.send("bob@" + COMPONENT, "down-1", "are you there?");
    Message error = alice.await("an error", WAIT, m -> "down-1".equals(m.getStanzaId()));
    assertEquals(Message.Type.error, error.getType());
    assertEquals("wait", error.getError().getType().toString().toLowerCase(java.util.Locale.ROOT));
    assertEquals("resource-constraint", error.getError().getCondition().toString());
  }

  @Test
  void aBadSecretIsAuthFailedAndARestartedServerIsReconnected() throws Exception {
    XmppAdapter wrong = adapter("not-the-secret-0123456789");
    wrong.start();
    try {
      await("auth failed", () -> wrong.health().state() == HealthState.AUTH_FAILED);
      assertTrue(wrong.health().reason().contains("not-authorized"), wrong.health().reason());
      await("one warning", () -> logged.stream().anyMatch(l -> l.startsWith("WARNING") && l.contains("not-authorized")));
    } finally {
      wrong.stop(Duration.ofSeconds(1));
    }

    prosody.stop();
    await("reconnecting", () -> adapter.health().state() == HealthState.RECONNECTING);
    Envelope out = Envelope.of(MessageId.of("g-1"), Address.of("@bob"), Address.of("xmpp:alice@localhost"), Instant.now(),
        new Content.Text("while down"));
    ExecutionException down = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> adapter.deliver(out, new DeliveryTarget(Address.of("xmpp:alice@localhost"), "k1")).toCompletableFuture()
            .get(10, TimeUnit.SECONDS));
    assertInstanceOf(AdapterUnavailableException.class, down.getCause());

    prosody.start();
    await("connected again", () -> adapter.health().state() == HealthState.CONNECTED);
    // one outage, one warning: the attempts while it was down are not each a warning
    assertEquals(1, logged.stream().filter(l -> l.startsWith("WARNING") && !l.contains("not-authorized")).count(), logged.toString());
    assertTrue(logged.stream().anyMatch(l -> l.startsWith("INFO") && l.contains("connected again")), logged.toString());
    adapter.deliver(out, new DeliveryTarget(Address.of("xmpp:alice@localhost"), "k2")).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void anIdleLinkStaysUpOnItsOwnPingsAndADeadOneIsFound() throws Exception {
    adapter.stop(Duration.ofSeconds(1));
    health.clear();
    adapter = adapter(SECRET, Duration.ofSeconds(1)); // read timeout: three seconds without a stanza
    adapter.start();
    await("connected", () -> adapter.health().state() == HealthState.CONNECTED);
    Thread.sleep(4500); // idle: only the keep-alive pings through the server keep it readable
    assertEquals(HealthState.CONNECTED, adapter.health().state());
    assertTrue(health.stream().noneMatch(h -> h == HealthState.RECONNECTING), "the idle link was never dropped: " + health);
    // a server that stops answering without closing the connection (SIGSTOP): found by reading
    prosody.pause();
    try {
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (adapter.health().state() == HealthState.CONNECTED && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      assertEquals(HealthState.RECONNECTING, adapter.health().state(), "a silent server is noticed");
    } finally {
      prosody.resume();
    }
    await("connected again", () -> adapter.health().state() == HealthState.CONNECTED);
  }

  @Test
  void stopReleasesTheLinksThreads() throws Exception {
    adapter.stop(Duration.ofSeconds(1));
    adapter.stop(Duration.ofSeconds(1)); // idempotent
    await("no thread of the link", () -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().startsWith("parlor-xmpp-") && t.isAlive()));
    assertEquals(HealthState.STOPPED, health.get(health.size() - 1));
    adapter = null;
  }

  private static void await(String what, BooleanSupplier c) throws InterruptedException {
    await(what, WAIT, c);
  }

  private static void await(String what, Duration wait, BooleanSupplier c) throws InterruptedException {
    long until = System.nanoTime() + wait.toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
