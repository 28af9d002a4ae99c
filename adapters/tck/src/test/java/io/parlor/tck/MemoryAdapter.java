package io.parlor.tck;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.EventSender;
import io.parlor.spi.Health;
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
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The kit's reference adapter, over {@link MemoryNetwork}: right in every way the kit checks,
 * unless told to be wrong in one ({@link Defect}).
 */
final class MemoryAdapter implements Adapter, StatusReceiver, EventSender {
  private static final System.Logger LOG = System.getLogger(MemoryAdapter.class.getName());

  /** One way to be wrong, each against one rule of the kit. */
  enum Defect {
    NONE,
    SECOND_START_FAILS,
    NO_STOPPED_HEALTH,
    LEAKS_A_THREAD,
    SILENT_HEALTH,
    OUTAGE_IS_PERMANENT,
    NEVER_RECOVERS,
    FOREIGN_SENDER,
    UNSTABLE_IDS,
    LOGS_BODIES,
    METRIC_FROM_DATA,
    ACKS_BEFORE_STORE,
    BLOCKS_ON_STORE,
    ACKS_STORE_FAILURE,
    BLOCKS_CALLER,
    TRANSIENT_AS_PERMANENT,
    PERMANENT_AS_TRANSIENT,
    DROPS_RETRY_AFTER,
    RECEIPT_WITHOUT_ID,
    READ_OF_ANOTHER_ID,
    NO_STATUS_RECEIVER,
    NO_TYPING,
    REACTION_AS_TEXT,
    NO_CONTENT_DECLARED
  }

  private final MemoryNetwork network;
  private final AdapterContext context;
  private final Defect defect;
  private ScheduledExecutorService worker;
  private volatile Health health;
  private volatile boolean started;

  MemoryAdapter(MemoryNetwork network, AdapterContext context, Defect defect) {
    this.network = network;
    this.context = context;
    this.defect = defect;
    this.health = Health.of(HealthState.STARTING, "", Instant.now());
    network.adapter = this;
  }

  @Override
  public synchronized CompletionStage<Void> start() {
    if (started) {
      if (defect == Defect.SECOND_START_FAILS) {
        throw new IllegalStateException("already started");
      }
      return CompletableFuture.completedFuture(null);
    }
    started = true;
    worker = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "memory-adapter"));
    worker.scheduleWithFixedDelay(this::watch, 0, 20, TimeUnit.MILLISECONDS);
    if (defect == Defect.LEAKS_A_THREAD) {
      Thread t = new Thread(() -> {
        try {
          Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
          // ends
        }
      }, "memory-adapter-leaked-timer");
      t.setDaemon(true);
      t.start();
    }
    return CompletableFuture.completedFuture(null);
  }

  private void watch() {
    boolean up = network.up || (defect == Defect.SILENT_HEALTH && health.state() == HealthState.CONNECTED);
    if (defect == Defect.NEVER_RECOVERS && health.state() == HealthState.RECONNECTING) {
      return;
    }
    HealthState want = up ? HealthState.CONNECTED : HealthState.RECONNECTING;
    if (health.state() != want && health.state() != HealthState.STOPPED) {
      setHealth(want);
    }
  }

  private void setHealth(HealthState s) {
    health = Health.of(s, "", Instant.now());
    context.healthListener().onHealth(context.networkId(), health);
  }

  @Override
  public synchronized CompletionStage<Void> stop(Duration grace) {
    if (worker != null) {
      worker.shutdownNow();
    }
    if (defect != Defect.NO_STOPPED_HEALTH && health.state() != HealthState.STOPPED) {
      setHealth(HealthState.STOPPED);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Health health() {
    return health;
  }

  @Override
  public Capabilities capabilities() {
    Set<ContentKind> content = defect == Defect.NO_CONTENT_DECLARED ? Set.of() : Capabilities.allConversationContent();
    return new Capabilities(Set.of(), 1000, Level.REJECTED, Level.FULL, Level.FULL, List.of(), content,
        EnumSet.of(EventKind.READ, EventKind.TYPING));
  }

  @Override
  public <T> Optional<T> feature(Class<T> type) {
    if (type == StatusReceiver.class && defect != Defect.NO_STATUS_RECEIVER
        || type == EventSender.class && defect != Defect.NO_TYPING) {
      return Optional.of(type.cast(this));
    }
    return Optional.empty();
  }

  @Override
  public CompletionStage<DeliveryResult> deliver(Envelope envelope, DeliveryTarget target) {
    if (defect == Defect.LOGS_BODIES && envelope.content() instanceof Content.Text t) {
      LOG.log(System.Logger.Level.DEBUG, "delivering " + t.text());
    }
    CompletableFuture<DeliveryResult> done = new CompletableFuture<>();
    if (!network.up) {
      done.completeExceptionally(defect == Defect.OUTAGE_IS_PERMANENT
          ? new PermanentDeliveryException(PermanentDeliveryException.Reason.RECIPIENT_UNKNOWN, "down")
          : new AdapterUnavailableException("the memory network is down"));
      return done;
    }
    if (defect == Defect.BLOCKS_CALLER) {
      try {
        return CompletableFuture.completedFuture(send(envelope, target));
      } catch (io.parlor.spi.DeliveryException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    try {
      worker.execute(() -> {
        try {
          done.complete(send(envelope, target));
        } catch (io.parlor.spi.DeliveryException | RuntimeException e) {
          done.completeExceptionally(e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      done.completeExceptionally(new AdapterUnavailableException("stopped"));
    }
    return done;
  }

  /** What the network answers, as a delivery outcome. */
  private DeliveryResult send(Envelope envelope, DeliveryTarget target) throws io.parlor.spi.DeliveryException {
    Duration slow = network.slowNext;
    if (slow != null) {
      network.slowNext = null;
      try {
        Thread.sleep(slow.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!network.up && defect == Defect.NEVER_RECOVERS || health.state() == HealthState.RECONNECTING
        && defect == Defect.NEVER_RECOVERS) {
      throw new AdapterUnavailableException("still down");
    }
    NetworkFake.Failure f = network.failNext;
    network.failNext = null;
    if (f == NetworkFake.Failure.TRANSIENT) {
      throw defect == Defect.TRANSIENT_AS_PERMANENT
          ? new PermanentDeliveryException(PermanentDeliveryException.Reason.CONTENT_REJECTED, "refused")
          : new TransientDeliveryException("busy");
    }
    if (f == NetworkFake.Failure.PERMANENT) {
      throw defect == Defect.PERMANENT_AS_TRANSIENT
          ? new TransientDeliveryException("refused")
          : new PermanentDeliveryException(PermanentDeliveryException.Reason.RECIPIENT_UNKNOWN, "no such user");
    }
    Duration limited = network.rateLimitNext;
    if (limited != null) {
      network.rateLimitNext = null;
      throw new TransientDeliveryException("limited", defect == Defect.DROPS_RETRY_AFTER ? null : limited, null);
    }
    Content c = envelope.content();
    ContentKind kind = defect == Defect.REACTION_AS_TEXT && c.kind() == ContentKind.REACTION ? ContentKind.TEXT : c.kind();
    String text = c instanceof Content.Text t ? t.text() : null;
    String id = "mem-" + UUID.randomUUID();
    network.delivered.add(new NetworkFake.Delivered(kind, text));
    network.lastDeliveryId = id;
    return new DeliveryResult(id);
  }

  /** The network's user sent {@code m}. */
  void receive(MemoryNetwork.Message m) {
    String net = defect == Defect.FOREIGN_SENDER ? "other" : context.networkId().value();
    String id = defect == Defect.UNSTABLE_IDS ? m.id() + "-" + UUID.randomUUID() : m.id();
    if (defect == Defect.LOGS_BODIES) {
      LOG.log(System.Logger.Level.DEBUG, "received " + m.text());
    }
    // a valid name, but made of what the network sent
    context.metrics().count(defect == Defect.METRIC_FROM_DATA ? m.text().replaceAll("[^a-z0-9]", "_").substring(0, Math.min(20, m.text().length())) : "received");
    Envelope e = Envelope.of(MessageId.of(id), Address.of(net + ":" + m.from()), Address.of("~kit0peer"), Instant.now(),
        new Content.Text(m.text()));
    if (defect == Defect.ACKS_BEFORE_STORE) {
      network.acks.put(m.id(), NetworkFake.Ack.TAKEN);
    }
    CompletableFuture<io.parlor.spi.IngressResult> stored = context.inbound().accept(e).toCompletableFuture();
    if (defect == Defect.BLOCKS_ON_STORE) {
      try {
        stored.get(3, TimeUnit.SECONDS); // waits on the thread the message came on, past the kit's patience
      } catch (Exception ex) {
        // held: gave up waiting
      }
    }
    stored.whenComplete((r, err) -> network.acks.put(m.id(),
        err == null ? NetworkFake.Ack.TAKEN : defect == Defect.ACKS_STORE_FAILURE ? NetworkFake.Ack.TAKEN : NetworkFake.Ack.RETRY));
  }

  void receipt(String networkId) {
    context.receipts().onReceipt(new NetworkReceipt(null, defect == Defect.RECEIPT_WITHOUT_ID ? "mem-other" : networkId,
        NetworkReceipt.Outcome.DELIVERED, "", Instant.now()));
  }

  void read(String networkId) {
    String id = defect == Defect.READ_OF_ANOTHER_ID ? "mem-other" : networkId;
    context.events().accept(new Event.Read(Address.of(context.networkId().value() + ":bob"), Address.of("~kit0peer"),
        List.of(MessageId.of(id)), null, Instant.now()));
  }

  @Override
  public CompletionStage<Void> reportStatus(StatusReport report) {
    if (report.status() == StatusReport.Status.READ) {
      network.reads.incrementAndGet();
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> typing(TypingNotice notice) {
    network.typing.incrementAndGet();
    return CompletableFuture.completedFuture(null);
  }
}
