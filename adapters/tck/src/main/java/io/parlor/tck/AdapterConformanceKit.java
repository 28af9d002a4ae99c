package io.parlor.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.EventSender;
import io.parlor.spi.HealthState;
import io.parlor.spi.Level;
import io.parlor.spi.NetworkReceipt;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.StatusReceiver;
import io.parlor.spi.StatusReport;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.envelope.EventKind;
import io.parlor.spi.envelope.MessageId;
import java.io.File;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The adapter conformance kit: what every Parlor adapter promises, as tests. An adapter's tests
 * subclass it, supplying a fake of the network ({@link #startNetwork()}, a real server of its
 * protocol where one exists) and the adapter under test ({@link #createAdapter}):
 *
 * <pre>{@code
 * class XmppConformanceIT extends AdapterConformanceKit {
 *   protected NetworkFake startNetwork() throws Exception { return new ProsodyNetwork(...); }
 *   protected Adapter createAdapter(NetworkFake n, AdapterContext c) { return provider.create(config, c); }
 * }
 * }</pre>
 *
 * <p>Rules come in groups, one {@link Nested} class each. A rule about something the adapter
 * declares it does not do (a content kind, read events, receipts), or the network cannot do (an
 * acknowledgement, a rate limit with a wait), is skipped with the reason; the others still run.
 * Every rule can fail: the kit's own tests run it against adapters broken one way each.
 */
public abstract class AdapterConformanceKit {

  /** Starts a fresh fake of the adapter's network; closed after each test. */
  protected abstract NetworkFake startNetwork() throws Exception;

  /** Creates the adapter under test, configured for {@code network}. Does no I/O. */
  protected abstract Adapter createAdapter(NetworkFake network, AdapterContext context) throws Exception;

  /** The address the core shows the adapter's users as the other party (a relay handle). */
  protected Address counterpart() {
    return Address.of("~kit0peer");
  }

  /** The clock given to the adapter. */
  protected Clock clock() {
    return Clock.systemUTC();
  }

  protected NetworkFake network;
  protected Adapter adapter;
  protected CoreDouble core;
  private Set<Thread> threadsBefore;
  private int descriptorsBefore;
  private boolean stopped;

  @BeforeEach
  void startKit() throws Exception {
    network = startNetwork();
    core = new CoreDouble();
    threadsBefore = liveThreads();
    descriptorsBefore = openDescriptors();
    adapter = createAdapter(network, core.context(network.network(), clock()));
    adapter.start().toCompletableFuture().get(patience().toMillis(), TimeUnit.MILLISECONDS);
    await("the adapter to be able to deliver after start (health " + adapter.health() + ")",
        () -> adapter.health().state().canDeliver());
  }

  @AfterEach
  void stopKit() throws Exception {
    try {
      if (adapter != null && !stopped) {
        adapter.stop(Duration.ofSeconds(2)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    } finally {
      if (network != null) {
        network.close();
      }
    }
  }

  // --- helpers a subclass may use too

  protected Duration patience() {
    return network == null ? Duration.ofSeconds(10) : network.patience();
  }

  protected void await(String what, BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + patience().toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        fail("timed out after " + patience() + " waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  protected Envelope text(String text) {
    return Envelope.of(MessageId.of("g-" + UUID.randomUUID()), counterpart(), network.recipient(), Instant.now(),
        new Content.Text(text));
  }

  protected CompletionStage<DeliveryResult> deliver(Envelope e, String key) {
    // as the core does: a delivered envelope carries its idempotency key as its id
    return adapter.deliver(e.withTo(network.recipient()).withId(MessageId.of(key)), new DeliveryTarget(network.recipient(), key));
  }

  /** Delivers and waits for the outcome (an {@link ExecutionException} when the delivery failed). */
  protected DeliveryResult delivered(Envelope e, String key) throws Exception {
    return deliver(e, key).toCompletableFuture().get(patience().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Delivers, expecting a failure: the exception the delivery completed with. */
  protected Throwable failure(Envelope e, String key) throws Exception {
    try {
      delivered(e, key);
    } catch (ExecutionException ex) {
      return ex.getCause();
    }
    fail("the delivery succeeded, but the network refused it");
    return null;
  }

  /** The id the core would give this network for a message it delivered: the network's id, else the key. */
  protected static MessageId knownAs(DeliveryResult r, String key) {
    return MessageId.of(r.networkMessageIdOpt().orElse(key));
  }

  private static Set<Thread> liveThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
  }

  private static int openDescriptors() {
    String[] fds = new File("/proc/self/fd").list();
    return fds == null ? -1 : fds.length;
  }

  // --- the rules

  @Nested
  @DisplayName("lifecycle")
  class Lifecycle {
    @Test
    @DisplayName("start and stop are idempotent")
    void startAndStopAreIdempotent() throws Exception {
      adapter.start().toCompletableFuture().get(patience().toMillis(), TimeUnit.MILLISECONDS);
      await("still able to deliver after a second start", () -> adapter.health().state().canDeliver());
      delivered(text("after a second start"), "k-" + UUID.randomUUID());
      adapter.stop(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      adapter.stop(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      stopped = true;
      await("health STOPPED after stop", () -> adapter.health().state() == HealthState.STOPPED);
    }

    @Test
    @DisplayName("stop releases every thread, socket and timer it created")
    void stopReleasesEverything() throws Exception {
      delivered(text("something to have worked"), "k-" + UUID.randomUUID());
      adapter.stop(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      stopped = true;
      AtomicReference<Set<Thread>> left = new AtomicReference<>();
      long until = System.nanoTime() + patience().toNanos();
      do {
        System.gc(); // a thread may end only once what owned it is collected (the JDK HTTP client's selector)
        Set<Thread> now = new HashSet<>(liveThreads());
        now.removeAll(threadsBefore);
        now.removeIf(t -> network.ownThread(t) || commonThread(t));
        left.set(now);
        if (now.isEmpty()) {
          break;
        }
        Thread.sleep(50);
      } while (System.nanoTime() < until);
      assertTrue(left.get().isEmpty(), "threads the adapter left running after stop: "
          + left.get().stream().map(Thread::getName).sorted().toList());
      if (descriptorsBefore >= 0) {
        await("the adapter's sockets and files to be closed (" + openDescriptors() + " open, "
            + descriptorsBefore + " before it was created)", () -> openDescriptors() <= descriptorsBefore);
      }
    }
  }

  /** Threads of the JDK and of JUnit that come and go on their own. */
  static boolean commonThread(Thread t) {
    String n = t.getName();
    return n.startsWith("ForkJoinPool.commonPool") || n.equals("process reaper") || n.startsWith("Attach Listener")
        || n.startsWith("Common-Cleaner") || n.startsWith("junit-");
  }

  @Nested
  @DisplayName("health")
  class HealthRules {
    @Test
    @DisplayName("health is reported to the listener")
    void healthGoesThroughTheListener() {
      assertFalse(core.health.isEmpty(), "no health transition reached the listener");
      assertTrue(core.health.get(core.health.size() - 1).state().canDeliver(),
          "the last transition the listener heard: " + core.health.get(core.health.size() - 1));
    }

    @Test
    @DisplayName("an outage fails deliveries as retryable, shows in health, and passes")
    void anOutageIsRetryableAndPasses() throws Exception {
      network.goDown();
      if (network.connectionOriented()) {
        await("health to show the lost connection", () -> !adapter.health().state().canDeliver());
        assertFalse(core.health.get(core.health.size() - 1).state().canDeliver(), "the listener heard of the outage");
      }
      Throwable down = failure(text("while the network is down"), "k-down");
      assertTrue(down instanceof TransientDeliveryException || down instanceof AdapterUnavailableException,
          "a delivery while the network is down must be retryable, got " + down);
      network.comeBack();
      long until = System.nanoTime() + patience().multipliedBy(2).toNanos();
      Throwable last = null;
      while (System.nanoTime() < until) {
        try {
          delivered(text("after the outage"), "k-up");
          last = null;
          break;
        } catch (ExecutionException e) {
          last = e.getCause();
          Thread.sleep(100);
        }
      }
      if (last != null) {
        fail("no delivery succeeded after the network came back: " + last);
      }
      await("health able to deliver again", () -> adapter.health().state().canDeliver());
    }
  }

  @Nested
  @DisplayName("inbound")
  class Inbound {
    @Test
    @DisplayName("a message comes from an account of this network, with its text")
    void aMessageComesFromThisNetwork() throws Exception {
      network.sendText("kit inbound text");
      await("the message to reach the core", () -> !core.received.isEmpty());
      Envelope e = core.received.get(0);
      assertEquals(Address.Kind.ACCOUNT, e.from().kind(), "the sender is an account: " + e.from().kind());
      assertEquals(network.network(), e.from().network().orElseThrow(), "the sender belongs to this network");
      Content.Text t = assertInstanceOf(Content.Text.class, e.content());
      assertEquals("kit inbound text", t.text());
    }

    @Test
    @DisplayName("handing a message over never blocks: the next one arrives while the core holds the first")
    void handingOverNeverBlocks() throws Exception {
      core.answer(CoreDouble.Answer.HOLD);
      long first = onAnEventLoop(() -> sendQuietly("kit held first"));
      long second = onAnEventLoop(() -> sendQuietly("kit held second"));
      assertTrue(first < 250 && second < 250, "handing over took " + first + " and " + second
          + " ms on the thread the network's request came on (the core's event loop for HTTP routes)");
      await("the second message while the first is held", () -> core.received.size() == 2);
      core.commitHeld();
    }

    @Test
    @DisplayName("a redelivered message keeps its id")
    void aRedeliveryKeepsItsId() throws Exception {
      NetworkFake.Sent s = network.sendText("kit sent twice");
      await("the message", () -> core.received.size() == 1);
      assumeTrue(network.redeliver(s), "this network never redelivers");
      await("the redelivery", () -> core.received.size() == 2);
      assertEquals(core.received.get(0).id(), core.received.get(1).id(), "one message, one id");
    }

    @Test
    @DisplayName("no message body reaches the logs or a metric")
    void noBodyInTheLogs() throws Exception {
      String in = "kit-secret-in-" + UUID.randomUUID();
      String out = "kit-secret-out-" + UUID.randomUUID();
      try (LogCapture logs = new LogCapture()) {
        network.sendText(in);
        await("the message", () -> !core.received.isEmpty());
        delivered(text(out), "k-log");
        if (network.failNext(NetworkFake.Failure.PERMANENT)) {
          failure(text(out + "-refused"), "k-log-2");
        }
        assertFalse(logs.text().contains(in), "a body the network sent was logged");
        assertFalse(logs.text().contains(out), "a body delivered to the network was logged");
        for (String name : core.metricNames) {
          assertFalse(name.contains("kit") || in.contains(name) || out.contains(name), "a metric named from data: " + name);
        }
      }
    }
  }

  @Nested
  @DisplayName("acknowledgement")
  class Acknowledgement {
    @Test
    @DisplayName("the network is answered only after the core stored the message")
    void answeredOnlyAfterTheStore() throws Exception {
      assumeTrue(network.acknowledges(), "this network acknowledges nothing to its senders");
      core.answer(CoreDouble.Answer.HOLD);
      NetworkFake.Sent s = network.sendText("kit held");
      await("the message to reach the core", () -> !core.received.isEmpty());
      Thread.sleep(300);
      assertEquals(NetworkFake.Ack.PENDING, network.ackOf(s), "answered before the core stored it");
      core.commitHeld();
      await("the network to be told it was taken", () -> network.ackOf(s) == NetworkFake.Ack.TAKEN);
    }

    @Test
    @DisplayName("a store failure asks the network to send again")
    void aStoreFailureAsksForARetry() throws Exception {
      assumeTrue(network.acknowledges(), "this network acknowledges nothing to its senders");
      core.answer(CoreDouble.Answer.FAIL);
      NetworkFake.Sent s = network.sendText("kit store down");
      await("an answer to the network", () -> network.ackOf(s) != NetworkFake.Ack.PENDING);
      assertEquals(NetworkFake.Ack.RETRY, network.ackOf(s), "a message the core did not store must be sent again");
    }
  }

  @Nested
  @DisplayName("delivery")
  class Delivery {
    @Test
    @DisplayName("a text reaches the recipient")
    void aTextArrives() throws Exception {
      DeliveryResult r = delivered(text("kit hello"), "k-1");
      assertNotNull(r);
      r.networkMessageIdOpt().ifPresent(id -> assertFalse(id.isBlank(), "a network message id, when given, is not blank"));
      await("the network to show it", () -> network.delivered().stream()
          .anyMatch(d -> d.kind() == ContentKind.TEXT && d.text() != null && d.text().contains("kit hello")));
    }

    @Test
    @DisplayName("deliver never blocks the calling thread")
    void deliverNeverBlocks() throws Exception {
      boolean slow = network.slowNext(Duration.ofSeconds(1));
      AtomicReference<CompletionStage<DeliveryResult>> stage = new AtomicReference<>();
      long took = onAnEventLoop(() -> stage.set(deliver(text("kit slow network"), "k-slow")));
      assertTrue(took < 250, "deliver() took " + took + " ms to return" + (slow ? " while the network was slow" : ""));
      try {
        stage.get().toCompletableFuture().get(patience().toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        fail("the slow delivery did not complete: " + e);
      }
    }

    @Test
    @DisplayName("a transient failure is retryable")
    void transientIsRetryable() throws Exception {
      assumeTrue(network.failNext(NetworkFake.Failure.TRANSIENT), "this network answers no transient failure");
      Throwable t = failure(text("kit transient"), "k-t");
      assertTrue(t instanceof TransientDeliveryException || t instanceof AdapterUnavailableException,
          "a transient failure must be retryable, got " + t);
    }

    @Test
    @DisplayName("a permanent failure is permanent")
    void permanentIsPermanent() throws Exception {
      assumeTrue(network.failNext(NetworkFake.Failure.PERMANENT), "this network answers no permanent failure");
      assertInstanceOf(PermanentDeliveryException.class, failure(text("kit permanent"), "k-p"));
    }

    @Test
    @DisplayName("a rate limit carries the network's wait")
    void aRateLimitCarriesItsWait() throws Exception {
      assumeTrue(network.rateLimitNext(Duration.ofSeconds(7)), "this network names no wait when it limits");
      TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class, failure(text("kit limited"), "k-r"));
      Duration wait = t.retryAfter().orElse(null);
      assertNotNull(wait, "the wait the network named was dropped");
      assertTrue(Math.abs(wait.toMillis() - 7000) <= 1000, "the wait the network named (7 s) became " + wait);
    }
  }

  private void sendQuietly(String text) {
    try {
      network.sendText(text);
    } catch (Exception e) {
      throw new IllegalStateException("the fake could not send: " + e, e);
    }
  }

  /**
   * Runs {@code work} on a thread like the core's event loops; how long it took, in ms. Fails when
   * the work throws, and returns {@link Long#MAX_VALUE} when it has not returned within the
   * network's patience.
   */
  long onAnEventLoop(Runnable work) throws InterruptedException {
    long[] took = {Long.MAX_VALUE};
    Throwable[] thrown = new Throwable[1];
    Thread t = new Thread(() -> {
      long start = System.nanoTime();
      try {
        work.run();
      } catch (Throwable e) {
        thrown[0] = e;
      }
      took[0] = (System.nanoTime() - start) / 1_000_000;
    }, "parlor-kit-event-loop");
    t.setDaemon(true);
    t.start();
    t.join(patience().toMillis());
    if (thrown[0] != null) {
      fail("the call threw instead of returning a stage: " + thrown[0], thrown[0]);
    }
    return took[0]; // still MAX_VALUE when the call has not returned
  }

  @Nested
  @DisplayName("receipts")
  class Receipts {
    @Test
    @DisplayName("a delivery receipt names the delivery")
    void aReceiptNamesTheDelivery() throws Exception {
      assumeTrue(adapter.capabilities().deliveryReceipts() == Level.FULL, "the adapter declares no delivery receipts");
      DeliveryResult r = delivered(text("kit receipt"), "k-rcpt");
      assertTrue(network.receiptOfLast(), "the adapter declares delivery receipts, but the fake cannot send one");
      await("the receipt to reach the core", () -> !core.receipts.isEmpty());
      NetworkReceipt got = core.receipts.get(0);
      assertTrue("k-rcpt".equals(got.idempotencyKey())
              || (got.networkMessageId() != null && got.networkMessageId().equals(r.networkMessageId())),
          "the receipt names neither the key nor the network's id of the delivery: " + got);
    }
  }

  @Nested
  @DisplayName("events")
  class Events {
    @Test
    @DisplayName("a read of a delivered message reaches the core naming it")
    void aReadReachesTheCore() throws Exception {
      assumeTrue(adapter.capabilities().takes(EventKind.READ), "the adapter declares no read events");
      DeliveryResult r = delivered(text("kit to be read"), "k-read");
      assertTrue(network.readLast(), "the adapter declares read events, but the fake cannot read");
      await("the read event", () -> core.events.stream().anyMatch(e -> e instanceof Event.Read));
      Event.Read read = (Event.Read) core.events.stream().filter(e -> e instanceof Event.Read).findFirst().orElseThrow();
      assertEquals(network.network(), read.from().network().orElseThrow(), "the reader belongs to this network");
      MessageId known = knownAs(r, "k-read");
      assertTrue(read.ids().contains(known) || read.watermark() != null,
          "the read names " + read.ids() + ", not the delivery (" + known + ")");
    }

    @Test
    @DisplayName("a read status reaches the network's user")
    void aReadStatusIsShown() throws Exception {
      assumeTrue(adapter.capabilities().takes(EventKind.READ), "the adapter declares no read events");
      StatusReceiver statuses = adapter.feature(StatusReceiver.class).orElse(null);
      assertNotNull(statuses, "read events are declared, so statuses must be taken (StatusReceiver)");
      network.sendText("kit read me");
      await("the message", () -> !core.received.isEmpty());
      Envelope e = core.received.get(0);
      statuses.reportStatus(new StatusReport(e.id(), StatusReport.Status.READ, "", Instant.now(), null, e.from()))
          .toCompletableFuture().get(patience().toMillis(), TimeUnit.MILLISECONDS);
      await("the network to show it read", () -> network.readsShown() > 0);
    }

    @Test
    @DisplayName("typing reaches the network")
    void typingIsShown() throws Exception {
      assumeTrue(adapter.capabilities().takes(EventKind.TYPING), "the adapter declares no typing");
      EventSender events = adapter.feature(EventSender.class).orElse(null);
      assertNotNull(events, "typing is declared, so an EventSender must be offered");
      // some platforms anchor typing to the last message the recipient sent (WhatsApp): give one
      network.sendText("kit before typing");
      await("the message", () -> !core.received.isEmpty());
      MessageId last = core.received.get(0).id();
      long took = onAnEventLoop(() -> events.typing(new EventSender.TypingNotice(network.recipient(), counterpart(), true, last, true)));
      assertTrue(took < 250, "typing() took " + took + " ms to return");
      await("the network to show typing", () -> network.typingShown() > 0);
    }
  }

  @Nested
  @DisplayName("content of version 2")
  class Content2 {
    private void nativeOrDeclaredUnsupported(ContentKind kind, java.util.function.Function<MessageId, Content> make)
        throws Exception {
      assumeTrue(adapter.capabilities().shows(kind), "declared unsupported: the core sends its fallback");
      DeliveryResult first = delivered(text("kit before " + kind.wire()), "k-before");
      Envelope e = text("x").withContent(make.apply(knownAs(first, "k-before")));
      delivered(e, "k-" + kind.wire());
      await("the network to show a " + kind.wire() + " natively (it shows " + network.delivered() + ")",
          () -> network.delivered().stream().anyMatch(d -> d.kind() == kind));
    }

    @Test
    @DisplayName("media")
    void media() throws Exception {
      nativeOrDeclaredUnsupported(ContentKind.MEDIA, target -> Content.Media.atUrl(Content.MediaKind.IMAGE,
          "https://media.example/kit/photo.jpg", "image/jpeg", 1234L, null));
    }

    @Test
    @DisplayName("reaction")
    void reaction() throws Exception {
      nativeOrDeclaredUnsupported(ContentKind.REACTION, target -> new Content.Reaction(target, "\uD83D\uDC4D"));
    }

    @Test
    @DisplayName("edit")
    void edit() throws Exception {
      nativeOrDeclaredUnsupported(ContentKind.EDIT, target -> new Content.Edit(target, "kit edited"));
    }

    @Test
    @DisplayName("delete")
    void delete() throws Exception {
      nativeOrDeclaredUnsupported(ContentKind.DELETE, Content.Delete::new);
    }

    @Test
    @DisplayName("location")
    void location() throws Exception {
      nativeOrDeclaredUnsupported(ContentKind.LOCATION, target -> new Content.Location(51.5, -0.12, "kit place"));
    }
  }
}
