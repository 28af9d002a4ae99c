package io.parlor.core.delivery;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.Network;
import io.parlor.core.routing.Router;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.Store;
import io.parlor.core.store.StatusOutbox;
import io.parlor.core.store.StoredMessage;
import io.parlor.core.conversation.Graded;
import io.parlor.core.conversation.Snippets;
import io.parlor.core.media.MediaLinks;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.StatusReport;
import io.parlor.spi.TransientDeliveryException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers queued messages: one at a time per conversation (so order is kept), each attempt to
 * the recipient's preferred healthy account, through the destination network's circuit breaker,
 * retrying transient failures with the network's resilience4j retry policy until the message's
 * deadline. A message leaves the queue delivered, failed or expired; its row is deleted and its
 * status written to the outbox in one transaction.
 *
 * <p>Memory is bounded: at most {@code maxInMemory} queued messages are held (with their timers);
 * beyond that the queue lives in the store only ("spilled") and is read back in acceptance order,
 * a page at a time, as messages leave memory — at start too, so a queue larger than the heap
 * never has to fit in it. What is held is always the oldest part of the queue, so order per
 * conversation is kept. Spilled messages whose deadline passes are expired by housekeeping
 * without waiting for their turn ({@link #expireSpilled}).
 *
 * <p>Several nodes on one database ({@link Cluster}): delivery is shared out by lane (a
 * conversation's hash). A node holds in memory only the messages of lanes whose lease it holds
 * ({@link Leases}): it claims a lane when it accepts a message for it and nobody delivers it,
 * reads a lane's queue when the database notifies that the lane has a new message, renews its
 * leases every third of {@code leaseTtl}, gives a lane up when its queue is empty, and takes
 * over lanes whose lease expired (a node that died). A node that cannot renew its leases stops
 * sending before they can expire, so one node at a time delivers a conversation, in order. The
 * spill and read-back of the single-node queue do not apply: each lane is read from the store.
 *
 * <p>Threading: all queue state is confined to one control thread; adapters' calls run on their
 * own threads and their completions hop back to the control thread. Public methods are
 * thread-safe and never block.
 */
public final class DeliveryScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeliveryScheduler.class);
  private static final Duration STORE_RETRY = Duration.ofSeconds(1);

  /** Construction parameters. */
  public record Deps(
      Store store,
      Router router,
      StatusDispatcher statuses,
      Retry fallbackRetry,
      Clock clock,
      MeterRegistry meters,
      Preparation preparation,
      int maxInMemory,
      Cluster cluster) {}

  /**
   * Several nodes on one database: this node's name, how long a lane's lease lasts without
   * renewal ({@code delivery.leaseTtl}) and how often the node looks for lanes nobody delivers.
   */
  public record Cluster(String node, Duration leaseTtl, Duration poll) {}

  /** Queued messages read back from the store at once. */
  private static final int PAGE = 1000;

  /**
   * What grading a message for its destination needs (contract part 2): the snippets a reaction
   * fallback quotes and the capability URLs of held media.
   */
  public record Preparation(Snippets snippets, MediaLinks media) {}

  /** A lane whose lease this node holds. Confined to the control thread. */
  private static final class Lane {
    final String id;
    long fence;
    /** The conversation of the lane's messages (known once one was read). */
    String conversation;
    boolean reading;
    /** Woken while a read was in flight: read again when it ends. */
    boolean dirty;
    boolean releasing;
    /** A release is scheduled once the lane has been idle for {@link #LINGER}. */
    boolean lingering;
    /** Messages of the lane that left the queue whose rows' deletion has not committed yet. */
    int finishing;

    Lane(String id, long fence) {
      this.id = id;
      this.fence = fence;
    }
  }

  /** A queued message and its delivery state. Confined to the control thread. */
  private static final class Entry {
    final StoredMessage m;
    final long enqueuedNanos = System.nanoTime();
    ScheduledFuture<?> deadlineTimer;
    ScheduledFuture<?> retryWait;
    Retry.AsyncContext<Object> retryContext;
    boolean active;
    boolean sending;
    boolean finishing;
    Outcome afterSend;
    /** Accounts that failed permanently for this message: the next attempt tries the next one. */
    final java.util.Set<Address> excluded = new java.util.HashSet<>();
    /** The first permanent failure's reason, reported when no account is left. */
    String permanentReason;
    /** The network this message waits to retry at, while it waits. */
    String retryingAt;
    /** Several nodes: its lane passed to another node while this attempt was in flight. */
    boolean orphaned;

    Entry(StoredMessage m) {
      this.m = m;
    }
  }

  private final Deps deps;
  private final Preparer preparer;
  /** Reads a delivery's route on the control thread (SQLite), see {@link io.parlor.core.store.Store#ownReader}. */
  private final io.parlor.core.store.Store.Reader reader;
  private final ScheduledThreadPoolExecutor control;
  private final Map<String, ArrayDeque<Entry>> conversations = new HashMap<>();
  private final Map<String, Entry> byGid = new HashMap<>();
  /** Queued messages held in memory ({@link #byGid}'s size, readable from any thread). */
  private final AtomicInteger depth = new AtomicInteger();
  /**
   * Every queued message, held or spilled: the store's count at start, then one more per enqueue
   * and one less per message that leaves (a count read later would race with commits not yet
   * enqueued).
   */
  private final java.util.concurrent.atomic.AtomicLong total = new java.util.concurrent.atomic.AtomicLong();
  // control thread only: the spilled part of the queue
  /** Whether queued rows exist in the store that are not held: rows with seq > {@link #loadAfter}. */
  private boolean spilled;
  private long loadAfter;
  /** The highest seq known to be queued (held, spilled or being read back). */
  private long maxSeq;
  private boolean loading;
  /** Whether {@link #start} ran: until then nothing is read back or attempted. */
  private boolean started;
  /**
   * Messages that left the queue (finished or dropped) whose rows a page being read may still
   * hold: gid → whether the row's deletion has committed. A page never brings one back.
   */
  private final Map<String, Boolean> gone = new HashMap<>();
  private final AtomicInteger sending = new AtomicInteger();
  // cluster mode only, control thread: the lanes this node holds, by lane id
  private final Map<String, Lane> lanes = new HashMap<>();
  private final java.util.Set<String> toClaim = new java.util.LinkedHashSet<>();
  private boolean claiming;
  private boolean discovering;
  private boolean renewing;
  private long lastRenewal = System.nanoTime();
  /** When this node started, as the cluster's list of nodes shows it. */
  private final java.time.Instant startedOn = java.time.Instant.now();
  /** Until when (System.nanoTime) this node may send: the last renewal's start plus the lease's life, less a margin. */
  private volatile long mayDeliverUntil;
  /** Messages whose lane was lost while their attempt was in flight: not read back until it ends. */
  private final java.util.Set<String> orphaned = new java.util.HashSet<>();
  /** Lane reads in flight (rows in {@link #gone} are kept while any is). */
  private int laneReads;
  /** Lanes whose read waits for the batch in flight, or for the control thread's queue to run. */
  private final java.util.Set<Lane> toRead = new java.util.LinkedHashSet<>();
  /** A batch of lane reads is in flight. */
  private boolean readingLanes;
  /** {@link #readLanes} is queued on the control thread. */
  private boolean lanesQueued;
  private ScheduledFuture<?> ticker;
  private final Timer latency;
  private final DeliveryHealth health;
  private volatile boolean stopping;

  public DeliveryScheduler(Deps deps) {
    this.deps = deps;
    this.reader = deps.store().ownReader();
    this.preparer = new Preparer(deps.store(), deps.preparation(), deps.clock(), deps.router().networks());
    // lanes are keyed by the store's seal; only several nodes use them
    this.laneSeal = deps.cluster() == null ? io.parlor.core.store.GraphSeal.CLEAR
        : deps.store().read(io.parlor.core.store.GraphSeal::of).join();
    this.control =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "delivery-control");
              t.setDaemon(true);
              return t;
            });
    this.control.setRemoveOnCancelPolicy(true);
    this.control.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    Gauge.builder(MetricNames.QUEUE_DEPTH, total, java.util.concurrent.atomic.AtomicLong::get)
        .description("messages queued for delivery")
        .register(deps.meters());
    Gauge.builder(MetricNames.QUEUE_HELD, depth, AtomicInteger::get)
        .description("queued messages held in memory (at most delivery.maxInMemory; the rest wait in the store)")
        .register(deps.meters());
    this.latency =
        Timer.builder(MetricNames.DELIVERY_LATENCY)
            .description("from acceptance to hand-over to the destination network")
            .publishPercentileHistogram()
            .register(deps.meters());
    this.health = new DeliveryHealth(deps.clock(), deps.meters());
  }

  /** Which networks are failing deliveries, and what waits to retry there. */
  public DeliveryHealth health() {
    return health;
  }

  /**
   * Messages queued now, held in memory or waiting in the store. Several nodes: the cluster's
   * queue as last counted (every few seconds), or this node's, whichever is larger.
   */
  public long depth() {
    return Math.max(total.get(), clusterDepth);
  }

  /** Several nodes: the cluster's queue as last counted. */
  private volatile long clusterDepth;

  /** Queues a stored message (call in commit order, after its commit). */
  public void enqueue(StoredMessage m) {
    if (deps.cluster() != null) {
      // a lane this node holds is read; one it does not is claimed, or its holder told
      String lane = MessageTable.lane(laneSeal, m.conversation());
      control.execute(() -> {
        Lane l = lanes.get(lane);
        if (l != null) {
          readLane(l);
        } else {
          toClaim.add(lane);
          claim();
        }
      });
      return;
    }
    total.incrementAndGet();
    control.execute(() -> add(m));
  }

  /**
   * Takes up what a previous run left in the store: counts it, before any adapter can hand over a
   * new message (which then waits behind it). Nothing is read back until {@link #start}. Returns
   * the count.
   */
  public CompletionStage<Integer> recover() {
    if (deps.cluster() != null) {
      // shared by the cluster: lanes are claimed once delivery starts
      deps.store().listen(MessageTable.LANE_CHANNEL,
          lane -> runOnControl(() -> laneNotified(lane)), () -> runOnControl(this::notificationsMissed));
      return deps.store().read(c -> (int) MessageTable.count(c));
    }
    return deps.store()
        .read(c -> new long[] {MessageTable.count(c), MessageTable.maxSeq(c)})
        .thenApplyAsync(
            counts -> {
              total.addAndGet(counts[0]);
              if (counts[0] > 0) {
                spilled = true;
                loadAfter = 0;
                maxSeq = Math.max(maxSeq, counts[1]);
              }
              return (int) counts[0];
            },
            control);
  }

  /**
   * Starts delivering (once the adapters have started): reads back the oldest part of the queue,
   * up to the bound, in acceptance order; the rest follows as messages leave.
   */
  public void start() {
    if (deps.cluster() != null) {
      control.execute(() -> {
        started = true;
        mayDeliverUntil = System.nanoTime(); // nothing is sent before the first renewal
        claim();
      });
      ticker = control.scheduleWithFixedDelay(this::tick, 0, deps.cluster().poll().toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    control.execute(() -> {
      started = true;
      readBack();
      for (ArrayDeque<Entry> q : List.copyOf(conversations.values())) {
        Entry head = q.peek();
        if (head != null) {
          pump(head.m.conversation());
        }
      }
    });
  }

  /**
   * Expires spilled messages whose deadline passed (housekeeping): an expired message leaves no
   * row behind however long the queue ahead of it is. Reads like a page read back (the same
   * guard against rows deleted meanwhile), a page at a time until none is left.
   */
  public void expireSpilled() {
    control.execute(this::expireSpilledPage);
  }

  private void expireSpilledPage() {
    if (deps.cluster() != null || !spilled || loading || stopping) {
      return;
    }
    loading = true;
    forgetDeleted();
    long after = loadAfter;
    long upTo = maxSeq;
    deps.store()
        .read(c -> MessageTable.expiredAfter(c, after, upTo, deps.clock().instant(), PAGE))
        .whenCompleteAsync((rows, err) -> {
          loading = false;
          if (err != null) {
            return;
          }
          for (StoredMessage m : rows) {
            if (!byGid.containsKey(m.gid()) && !gone.containsKey(m.gid()) && m.seq() > loadAfter) {
              finish(new Entry(m), Outcome.expired());
            }
          }
          forgetDeleted();
          if (rows.size() == PAGE) {
            expireSpilledPage();
          } else {
            readBack();
          }
        }, control);
  }

  /** Forgets the rows of {@link #gone} whose deletion committed. Control thread. */
  private void forgetDeleted() {
    gone.values().removeIf(committed -> committed);
  }

  /**
   * Reads the next page of spilled messages back when there is room. Reads only rows up to the
   * highest seq enqueued so far ({@link #maxSeq}): a row committed whose {@link #add} has not run
   * yet is left to it. Control thread.
   */
  private void readBack() {
    int room = deps.maxInMemory() - byGid.size();
    if (!spilled || !started || loading || stopping || room < Math.min(PAGE, deps.maxInMemory()) / 2) {
      return;
    }
    loading = true;
    forgetDeleted(); // deleted before this read starts: it cannot see them
    long after = loadAfter;
    long upTo = maxSeq;
    int limit = Math.min(PAGE, room);
    deps.store()
        .read(c -> MessageTable.page(c, after, upTo, limit))
        .whenCompleteAsync((page, err) -> {
          loading = false;
          if (err != null) {
            control.schedule(this::readBack, STORE_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            return;
          }
          for (StoredMessage m : page) {
            loadAfter = Math.max(loadAfter, m.seq());
            if (!gone.containsKey(m.gid())) {
              hold(m);
            }
          }
          forgetDeleted();
          if (page.size() < limit) {
            // everything up to upTo is held or gone (rows deleted meanwhile included)
            loadAfter = Math.max(loadAfter, upTo);
            if (maxSeq == upTo) {
              spilled = false; // and nothing was set aside since the read began
              return;
            }
          }
          readBack();
        }, control);
  }

  /**
   * Forgets messages whose rows the caller already deleted (e.g. forget-me); they are not
   * delivered. An attempt already handed to an adapter cannot be recalled.
   */
  public void drop(Collection<String> gids) {
    List<String> copy = List.copyOf(gids);
    control.execute(
        () -> {
          for (String gid : copy) {
            Entry e = byGid.get(gid);
            if (e != null) {
              cancelTimers(e);
              remove(e);
              total.decrementAndGet();
              pump(e.m.conversation());
              maybeRelease(laneOf(e.m.conversation()));
            } else if (!gone.containsKey(gid) && spilled) {
              total.decrementAndGet(); // a spilled row
              if (loading) {
                gone.put(gid, true); // the page being read may predate its deletion: not brought back
              }
            }
          }
          readBack();
        });
  }

  private void add(StoredMessage m) {
    maxSeq = Math.max(maxSeq, m.seq());
    if (byGid.containsKey(m.gid())) {
      total.decrementAndGet();
      return;
    }
    if (!spilled && byGid.size() >= deps.maxInMemory()) {
      spilled = true;
      loadAfter = m.seq() - 1; // enqueued in seq order: everything before it is held
    }
    if (spilled) {
      readBack(); // it waits in the store; read back in its turn
      return;
    }
    hold(m);
  }

  private void hold(StoredMessage m) {
    if (byGid.containsKey(m.gid())) {
      return;
    }
    Entry e = new Entry(m);
    byGid.put(m.gid(), e);
    ArrayDeque<Entry> q = conversations.computeIfAbsent(m.conversation(), k -> new ArrayDeque<>());
    if (q.isEmpty() || q.peekLast().m.seq() < m.seq()) {
      q.add(e);
    } else {
      // an older row read after a newer one (committed later, on another node): in seq order,
      // behind any attempt already started
      List<Entry> all = new java.util.ArrayList<>(q);
      int i = all.size();
      while (i > 0 && all.get(i - 1).m.seq() > m.seq() && !all.get(i - 1).active) {
        i--;
      }
      all.add(i, e);
      q.clear();
      q.addAll(all);
    }
    depth.incrementAndGet();
    long delay = Math.max(0, Duration.between(deps.clock().instant(), m.deadline()).toMillis());
    e.deadlineTimer = control.schedule(() -> onDeadline(e), delay, TimeUnit.MILLISECONDS);
    pump(m.conversation());
  }

  private void pump(String conversation) {
    ArrayDeque<Entry> q = conversations.get(conversation);
    if (q == null || stopping || !started) {
      return;
    }
    Entry head = q.peek();
    if (head == null) {
      conversations.remove(conversation);
      return;
    }
    if (!head.active) {
      head.active = true;
      attempt(head);
    }
  }

  private void attempt(Entry e) {
    e.retryWait = null;
    endRetryWait(e);
    if (stopping || byGid.get(e.m.gid()) != e) {
      e.active = false;
      return;
    }
    if (!deps.clock().instant().isBefore(e.m.deadline())) {
      finish(e, Outcome.expired());
      return;
    }
    if (deps.cluster() != null && System.nanoTime() - mayDeliverUntil > 0) {
      // the leases could not be renewed lately: another node may hold this lane by now
      e.retryWait = control.schedule(() -> attempt(e), 500, TimeUnit.MILLISECONDS);
      return;
    }
    if (e.m.refs().targetRemoved()) {
      // a delete whose target was still queued: ingress took it back, nothing reached the recipient
      finish(e, new Outcome(StatusReport.Status.DELIVERED, "", "none", null));
      return;
    }
    e.sending = true;
    sending.incrementAndGet();
    Router.Target[] used = new Router.Target[1];
    CompletionStage<Router.Choice> chosen;
    if (deps.cluster() == null) {
      // on this thread (SQLite): a hand-off to the reader and back cost more than the read
      chosen = reader.read(c -> deps.router().choose(c, e.m.sender(), e.m.recipient(), e.m.envelope(), e.excluded));
    } else {
      // several nodes: asked in a batch with the other attempts starting now (see check)
      CompletableFuture<Router.Choice> f = new CompletableFuture<>();
      toCheck.add(new Check(e, f));
      if (!checking && !checkQueued) {
        checkQueued = true;
        control.execute(this::check);
      }
      chosen = f;
    }
    chosen
        .thenCompose(
            choice -> {
              if (choice == null) {
                return CompletableFuture.failedFuture(new GoneException());
              }
              if (choice.target() == null) {
                return CompletableFuture.failedFuture(
                    new NoRouteException(e.permanentReason != null ? e.permanentReason : choice.reason()));
              }
              used[0] = choice.target();
              return preparer.prepare(e.m, choice.target()).thenCompose(g -> send(e, choice.target(), g));
            })
        .whenCompleteAsync((result, err) -> afterAttempt(e, used[0], result, err), control);
  }

  /** A delivery attempt waiting for its check (several nodes). */
  private record Check(Entry e, CompletableFuture<Router.Choice> choice) {}

  /** Attempts whose check waits for the batch in flight, or for the control thread's queue to run. */
  private final List<Check> toCheck = new java.util.ArrayList<>();
  /** A batch of checks is in flight. */
  private boolean checking;
  /** Most attempts one check asks for (their routes are then chosen, and sends started, in turn). */
  private static final int CHECKS_PER_READ = 64;
  /** {@link #check} is queued on the control thread. */
  private boolean checkQueued;

  /**
   * Several nodes: asks, for the attempts waiting in {@link #toCheck}, whether each message is
   * still queued (else the node that held its lane before finished it, or it was deleted) with
   * its thread's encryption flag, which the route needs — one round trip for all of them — and
   * chooses each one's route (null: no longer queued). One batch at a time. Control thread.
   */
  private void check() {
    checkQueued = false;
    if (checking || toCheck.isEmpty()) {
      return;
    }
    List<Check> batch = List.copyOf(toCheck.subList(0, Math.min(toCheck.size(), CHECKS_PER_READ)));
    toCheck.subList(0, batch.size()).clear();
    checking = true;
    List<String> gids = new java.util.ArrayList<>(batch.size());
    List<String> keys = new java.util.ArrayList<>(batch.size());
    for (Check k : batch) {
      gids.add(k.e().m.gid());
      keys.add(io.parlor.core.routing.ThreadTable.key(k.e().m.sender(), k.e().m.recipient()));
    }
    deps.store()
        .read(c -> {
          Map<String, Boolean> queued = io.parlor.core.routing.ThreadTable.e2eeIfQueued(c, gids, keys);
          List<Object> out = new java.util.ArrayList<>(batch.size());
          for (Check k : batch) {
            StoredMessage m = k.e().m;
            Boolean e2ee = queued.get(m.gid());
            try {
              out.add(e2ee == null ? null
                  : deps.router().choose(c, m.sender(), m.recipient(), m.envelope(), k.e().excluded, e2ee));
            } catch (java.sql.SQLException | RuntimeException failed) {
              out.add(readFailure(failed)); // this attempt's alone (it is retried as after any failed read)
            }
          }
          return out;
        })
        .whenComplete((out, err) -> {
          // completed here, not on the control thread: each attempt goes on as after its own read
          for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<Router.Choice> f = batch.get(i).choice();
            Object o = err == null ? out.get(i) : null;
            if (err != null) {
              f.completeExceptionally(err);
            } else if (o instanceof Throwable t) {
              f.completeExceptionally(t);
            } else {
              f.complete((Router.Choice) o);
            }
          }
          runOnControl(() -> {
            checking = false;
            check(); // the attempts that started meanwhile
          });
        });
  }

  /**
   * A route read's failure as its attempt sees it. The store's own fault (the database gone under
   * the read, a disk error, the store closing) is the store being down: retried quietly, as a
   * write that meets it is, the store logging the outage once. Anything else (a bug, a constraint)
   * stays as it is, retried and logged.
   */
  static Throwable readFailure(Throwable failed) {
    if (io.parlor.core.store.StoreUnavailableException.in(failed)
        || !io.parlor.core.store.StoreUnavailableException.storeDown(failed)) {
      return failed;
    }
    return new io.parlor.core.store.StoreUnavailableException("route read failed: " + failed.getMessage(), failed);
  }

  /** What one attempt produced: the adapter's result and the grade sent, or a skip. */
  private record Attempt(DeliveryResult result, StatusReport.Grade grade, Graded.Skip skip) {}

  private CompletionStage<Attempt> send(Entry e, Router.Target t, Graded graded) {
    if (graded instanceof Graded.Skip skip) {
      return CompletableFuture.completedFuture(new Attempt(null, null, skip));
    }
    Graded.Send out = (Graded.Send) graded;
    Network n = t.network();
    if (e.retryContext == null) {
      e.retryContext = n.retry().asyncContext();
    }
    if (!deps.clock().instant().isBefore(e.m.deadline())) {
      // checked again just before sending: the route lookup may have taken a while
      return CompletableFuture.failedFuture(new ExpiredException());
    }
    if (deps.cluster() != null && System.nanoTime() - mayDeliverUntil > 0) {
      // checked again just before sending: the lease may have run out while the route was read
      return CompletableFuture.failedFuture(new LeasePausedException());
    }
    CircuitBreaker cb = n.breaker();
    if (!cb.tryAcquirePermission()) {
      return CompletableFuture.failedFuture(CallNotPermittedException.createCallNotPermittedException(cb));
    }
    long start = System.nanoTime();
    CompletionStage<DeliveryResult> call;
    try {
      call = n.adapter().deliver(out.envelope().withTo(t.account()), new DeliveryTarget(t.account(), e.m.gid()));
    } catch (RuntimeException ex) {
      call = CompletableFuture.failedFuture(ex);
    }
    return call.handle(
        (r, err) -> {
          long took = System.nanoTime() - start;
          if (err == null) {
            cb.onSuccess(took, TimeUnit.NANOSECONDS);
            return new Attempt(r == null ? DeliveryResult.accepted() : r, out.grade(), null);
          }
          Throwable cause = unwrap(err);
          if (busy(cause)) {
            cb.releasePermission(); // the adapter's own capacity, not the network: not recorded
          } else {
            cb.onError(took, TimeUnit.NANOSECONDS, cause);
          }
          throw new CompletionException(cause);
        });
  }

  private void afterAttempt(Entry e, Router.Target target, Attempt attempt, Throwable err) {
    e.sending = false;
    sending.decrementAndGet();
    Network network = target == null ? null : target.network();
    if (network != null && !busy(err == null ? null : unwrap(err))) {
      wakeOneWaiting(network.id().value()); // a delivery to it ended: room in its adapter for one
    }
    if (e.orphaned) {
      orphaned.remove(e.m.gid());
    }
    if (err != null && unwrap(err) instanceof LeasePausedException && byGid.get(e.m.gid()) == e) {
      e.retryWait = control.schedule(() -> attempt(e), 500, TimeUnit.MILLISECONDS); // not the network's fault
      return;
    }
    if (err != null && unwrap(err) instanceof GoneException) {
      if (byGid.get(e.m.gid()) == e) {
        cancelTimers(e);
        remove(e);
        total.decrementAndGet();
        pump(e.m.conversation());
        maybeRelease(laneOf(e.m.conversation()));
      }
      return;
    }
    if (byGid.get(e.m.gid()) != e) {
      if (e.orphaned) {
        // its lane's lease passed to another node while it was in flight: its outcome is recorded
        // as any (the row goes, if it is still there), so that the new holder does not send it again
        if (err == null && attempt.skip() == null && attempt.result() != null) {
          gone.put(e.m.gid(), false); // a read of its lane does not hold it again meanwhile
          record(e.m, new StatusReport(e.m.sourceId(), StatusReport.Status.DELIVERED, "",
              deps.clock().instant(), attempt.grade(), null), network, attempt.result(), null);
        }
        return;
      }
      // dropped meanwhile (forget-me, or deleted by its sender while in flight): no status; a
      // copy that reached the recipient is still recorded, so that the delete can follow it
      if (err == null && attempt.result() != null) {
        recordLeg(e.m, network, attempt.result());
      }
      return;
    }
    String net = network == null ? "none" : network.id().value();
    Throwable cause = err == null ? null : unwrap(err);
    if (cause == null && attempt.skip() != null) {
      finish(e, new Outcome(attempt.skip().status(), attempt.skip().reason(), net, null));
      return;
    }
    countAttempt(net, cause);
    if (cause == null && network != null) {
      health.succeeded(net);
    }
    if (cause == null) {
      if (e.retryContext != null) {
        e.retryContext.onComplete();
      }
      latency.record(System.nanoTime() - e.enqueuedNanos, TimeUnit.NANOSECONDS);
      finish(e, Outcome.delivered(net, attempt.grade()), network, attempt.result());
      return;
    }
    if (e.afterSend != null) {
      finish(e, e.afterSend);
      return;
    }
    if (cause instanceof ExpiredException) {
      finish(e, Outcome.expired());
      return;
    }
    if (cause instanceof NoRouteException nr) {
      finish(e, Outcome.failed(nr.reason(), net));
      return;
    }
    if (cause instanceof PermanentDeliveryException p) {
      // this account cannot take it: try the person's next account in their fallback order
      if (e.permanentReason == null) {
        e.permanentReason = p.reason().name().toLowerCase(Locale.ROOT);
      }
      e.excluded.add(target.account());
      attempt(e);
      return;
    }
    if (busy(cause)) {
      // back-pressure from the adapter (its window is full): again after the delay it asked for,
      // not counted against the network nor in the message's backoff; its deadline still holds
      long delay = ((TransientDeliveryException) cause).retryAfter().map(Duration::toMillis).orElse(BUSY_RETRY_MS);
      ScheduledFuture<?> timer = control.schedule(() -> attempt(e), delay, TimeUnit.MILLISECONDS);
      e.retryWait = timer;
      // ...or as soon as a delivery to the network ends, in the order they were refused
      waitingForRoom.computeIfAbsent(net, k -> new ArrayDeque<>()).add(new Waiting(e, timer));
      return;
    }
    if (!RetryPolicies.isTransient(cause)) {
      log.warn("delivery of {} failed unexpectedly; retrying", e.m.gid(), cause);
    } else if (io.parlor.core.store.StoreUnavailableException.in(cause)) {
      log.debug("delivery of {} waits for the store: {}", e.m.gid(), cause.getMessage());
    }
    if (network != null) {
      health.failed(net, cause);
    }
    Retry.AsyncContext<Object> ctx =
        e.retryContext != null ? e.retryContext : (e.retryContext = deps.fallbackRetry().asyncContext());
    long delay =
        ctx.onError(
            RetryPolicies.isTransient(cause)
                ? cause
                : new TransientDeliveryException(cause.getClass().getSimpleName()));
    if (delay < 0) {
      finish(e, Outcome.failed("gave_up", net));
      return;
    }
    e.retryWait = control.schedule(() -> attempt(e), delay, TimeUnit.MILLISECONDS);
    if (network != null) {
      e.retryingAt = net;
      health.retryWaitStarted(net);
    }
  }

  private void endRetryWait(Entry e) {
    if (e.retryingAt != null) {
      health.retryWaitEnded(e.retryingAt);
      e.retryingAt = null;
    }
  }

  private void onDeadline(Entry e) {
    if (byGid.get(e.m.gid()) != e || e.finishing) {
      return;
    }
    if (e.sending) {
      e.afterSend = Outcome.expired(); // the attempt in flight started before the deadline
      return;
    }
    finish(e, Outcome.expired());
  }

  /**
   * Records how a message left the queue. The conversation moves on at once (order only needs the
   * previous delivery to be done, not its bookkeeping); the row's deletion, the reference of the
   * delivered leg and the status are written in one transaction, retried until the store takes
   * them. A crash before that commit means one more delivery after restart, under the same
   * idempotency key.
   */
  private void finish(Entry e, Outcome o) {
    finish(e, o, null, null);
  }

  private void finish(Entry e, Outcome o, Network network, DeliveryResult result) {
    if (e.finishing) {
      return;
    }
    e.finishing = true;
    cancelTimers(e);
    remove(e);
    total.decrementAndGet();
    gone.put(e.m.gid(), false); // until its row's deletion commits
    Lane lane = laneOf(e.m.conversation());
    if (lane != null) {
      lane.finishing++; // this lane object, not a later one of the same lane, counts it down
    }
    readBack();
    Counter.builder(MetricNames.DELIVERIES)
        .description("messages that left the queue, by outcome")
        .tag(MetricNames.TAG_NETWORK, o.network())
        .tag(MetricNames.TAG_OUTCOME, o.status().wire())
        .register(deps.meters())
        .increment();
    StatusReport report = new StatusReport(e.m.sourceId(), o.status(), o.reason(), deps.clock().instant(), o.grade(), null);
    record(e.m, report, network, result, lane);
    pump(e.m.conversation());
  }

  /**
   * One transaction: the row goes; for a delivered leg, its reference (and, on single-identity
   * networks, the recipient's most recent conversation); the status, or for networks that report
   * receipts, the wait for the receipt (the status comes with it).
   */
  private void record(StoredMessage m, StatusReport report, Network network, DeliveryResult result, Lane lane) {
    deps.store()
        .writeLazily( // shares the next commit (its status waits for it; nothing else does)
            // rerunnable: SQL only; what the delivery changes in memory was changed before, in finish
            io.parlor.core.store.SqlWork.rerunnable(c -> {
              if (!MessageTable.delete(c, m.gid())) {
                return null;
              }
              boolean inGroup = io.parlor.core.groups.GroupLegs.groupOf(m).isPresent();
              // the node's own message (a thread's new timer): nobody waits for a status
              boolean own = m.sourceNetwork().equals(io.parlor.core.groups.GroupFanOut.SYSTEM_NETWORK);
              if (network != null && result != null) {
                preparer.writeLeg(c, m, network, result, report.at());
                if (!inGroup && !own && network.adapter().capabilities().deliveryReceipts() == io.parlor.spi.Level.FULL) {
                  ReceiptBook.await(c, m, network.id(), result.networkMessageId(), report.as(), report.at());
                  return null; // the status comes with the receipt
                }
              }
              if (inGroup) {
                // a group leg ends in its message's tally: one status when the last leg ended
                java.util.Optional<StatusReport> done = io.parlor.core.groups.GroupLegs.legEnded(
                    c, m, report.status() == StatusReport.Status.DELIVERED, report.at());
                return done.isPresent() ? StatusOutbox.add(c, m.sourceNetwork(), done.get()) : null;
              }
              if (own) {
                return null;
              }
              return StatusOutbox.add(c, m.sourceNetwork(), report);
            }))
        .whenComplete(
            (entry, err) -> {
              if (err != null) {
                if (io.parlor.core.store.StoreUnavailableException.in(err)) {
                  log.debug("the outcome of {} waits for the store; will retry", m.gid()); // logged once by the store
                } else {
                  log.warn("could not record the outcome of {}; will retry", m.gid(), err);
                }
                control.schedule(() -> record(m, report, network, result, lane), STORE_RETRY.toMillis(), TimeUnit.MILLISECONDS);
              } else {
                deps.store().noteDeletion();
                if (entry != null) {
                  deps.statuses().dispatch(entry);
                }
                try {
                  control.execute(() -> deleted(m, lane));
                } catch (java.util.concurrent.RejectedExecutionException stopped) {
                  // shutting down: nothing reads back any more
                }
              }
            });
  }

  /** A finished message's row is gone: a page read from now on cannot hold it. Control thread. */
  private void deleted(StoredMessage m, Lane lane) {
    if (loading || laneReads > 0) {
      gone.replace(m.gid(), true); // the page being read may still hold it: dropped when it arrives
    } else {
      gone.remove(m.gid());
    }
    if (lane != null) {
      lane.finishing--;
      maybeRelease(lane);
    }
  }

  /** The reference of a delivered leg, without touching the queue (a copy delivered after a drop). */
  private void recordLeg(StoredMessage m, Network network, DeliveryResult result) {
    if (network == null) {
      return;
    }
    deps.store()
        .write(io.parlor.core.store.SqlWork.rerunnable(c -> { // SQL only
          preparer.writeLeg(c, m, network, result, deps.clock().instant());
          return null;
        }))
        .exceptionally(err -> {
          if (!io.parlor.core.store.StoreUnavailableException.in(err)) {
            log.warn("could not record the reference of {}", m.gid(), err);
          }
          return null;
        });
  }

  private void remove(Entry e) {
    if (!byGid.remove(e.m.gid(), e)) {
      return;
    }
    depth.decrementAndGet();
    ArrayDeque<Entry> q = conversations.get(e.m.conversation());
    if (q != null) {
      q.remove(e);
      if (q.isEmpty()) {
        conversations.remove(e.m.conversation());
      }
    }
  }

  private void cancelTimers(Entry e) {
    if (e.deadlineTimer != null) {
      e.deadlineTimer.cancel(false);
    }
    if (e.retryWait != null) {
      e.retryWait.cancel(false);
      e.retryWait = null;
    }
    endRetryWait(e);
  }

  /** A delivery its adapter refused as busy, waiting for room; current while its entry's retry wait is {@code timer}. */
  private record Waiting(Entry e, ScheduledFuture<?> timer) {}

  /**
   * Per network, the deliveries its adapter refused as {@link TransientDeliveryException#busy},
   * oldest first. Each is tried again when a delivery to that network ends (its adapter then has
   * room for one), or when its timer runs out, whichever comes first: so a full SMPP window
   * releases its waiting deliveries one by one as submits complete, not all at once after a
   * fixed delay. Control thread only.
   */
  private final Map<String, ArrayDeque<Waiting>> waitingForRoom = new HashMap<>();

  /** Tries again the oldest delivery waiting for room at {@code network}, if one still waits. */
  private void wakeOneWaiting(String network) {
    ArrayDeque<Waiting> q = waitingForRoom.get(network);
    while (q != null && !q.isEmpty()) {
      Waiting w = q.poll();
      // gone stale: its timer ran (it was tried again), or it was cancelled (delivered elsewhere,
      // forgotten, expired)
      if (w.e().retryWait == w.timer() && w.timer().cancel(false)) {
        attempt(w.e());
        break;
      }
    }
    if (q != null && q.isEmpty()) {
      waitingForRoom.remove(network);
    }
  }

  /** When a {@link TransientDeliveryException#busy} refusal names no delay. */
  private static final long BUSY_RETRY_MS = 500;

  /** Whether {@code cause} is an adapter's back-pressure ({@link TransientDeliveryException#busy}). */
  private static boolean busy(Throwable cause) {
    return cause instanceof TransientDeliveryException t && t.busy();
  }

  private void countAttempt(String network, Throwable cause) {
    String outcome =
        cause == null
            ? "ok"
            : cause instanceof PermanentDeliveryException
                ? "permanent"
                : cause instanceof CallNotPermittedException ? "circuit_open" : busy(cause) ? "busy" : "transient";
    Counter.builder(MetricNames.DELIVERY_ATTEMPTS)
        .tag(MetricNames.TAG_NETWORK, network)
        .tag(MetricNames.TAG_OUTCOME, outcome)
        .register(deps.meters())
        .increment();
  }

  // ---- several nodes: lanes and their leases (control thread) ----

  /** The leases were not renewed in time: the attempt waits for the next renewal. */
  private static final class LeasePausedException extends RuntimeException {
    LeasePausedException() {
      super(null, null, false, false);
    }
  }

  /** The message's row is gone (finished by another node, or deleted): it leaves memory quietly. */
  private static final class GoneException extends RuntimeException {
    GoneException() {
      super(null, null, false, false);
    }
  }

  private void runOnControl(Runnable r) {
    try {
      control.execute(r);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      // shutting down
    }
  }

  /** What lanes are keyed by (several nodes). */
  private final io.parlor.core.store.GraphSeal laneSeal;

  /** The lane of a held conversation whose lease this node holds, or null. */
  private Lane laneOf(String conversation) {
    return deps.cluster() == null ? null : lanes.get(MessageTable.lane(laneSeal, conversation));
  }

  /** The database says {@code lane} has a new message: read it if this node holds it. */
  private void laneNotified(String lane) {
    Lane l = lanes.get(lane);
    if (l != null) {
      readLane(l);
    }
  }

  /** The listener reconnected: whatever was notified meanwhile is read now. */
  private void notificationsMissed() {
    for (Lane l : List.copyOf(lanes.values())) {
      readLane(l);
    }
    discover();
  }

  /** Every {@code poll}: renews the leases when a third of their life passed, and looks for idle lanes. */
  private void tick() {
    if (stopping || !started) {
      return;
    }
    long every = deps.cluster().leaseTtl().toNanos() / 3;
    if (System.nanoTime() - lastRenewal >= every || System.nanoTime() - mayDeliverUntil >= 0) {
      renew();
      deps.store().read(MessageTable::count).thenAccept(n -> clusterDepth = n);
    }
    discover();
  }

  private void renew() {
    if (renewing) {
      return;
    }
    renewing = true;
    long startedAt = System.nanoTime();
    java.time.Instant now = deps.clock().instant();
    java.time.Instant until = now.plus(deps.cluster().leaseTtl());
    deps.store()
        .write(c -> {
          Leases.seen(c, deps.cluster().node(), startedOn, now);
          return Leases.renew(c, deps.cluster().node(), until);
        })
        .whenCompleteAsync((held, err) -> {
          renewing = false;
          if (err != null) {
            log.debug("the leases were not renewed: {}", err.toString());
            return; // the leases run out: attempts pause before they can expire
          }
          log.debug("{} leases renewed", held.size());
          lastRenewal = startedAt;
          // stop sending a fifth of the lease's life before it could expire: the last attempt
          // started has that long to end before another node may start the same lane
          long ttl = deps.cluster().leaseTtl().toNanos();
          mayDeliverUntil = startedAt + ttl - ttl / 5;
          for (Lane l : List.copyOf(lanes.values())) {
            if (!held.contains(l.id)) {
              lost(l);
            }
          }
          for (String lane : held) {
            if (!lanes.containsKey(lane)) {
              adopt(lane, 0); // this node's before a restart
            }
          }
        }, control);
  }


  /** Claims the lanes of messages this node accepted that nobody delivers yet. */
  private void claim() {
    if (claiming || toClaim.isEmpty() || !started || stopping) {
      return;
    }
    if (byGid.size() >= deps.maxInMemory()) {
      // memory is full: these lanes wait in the store, for this node's or another's discovery
      toClaim.clear();
      return;
    }
    claiming = true;
    List<String> batch = List.copyOf(toClaim);
    toClaim.clear();
    java.time.Instant now = deps.clock().instant();
    deps.store()
        .write(c -> {
          Map<String, Long> got = Leases.claim(c, batch, deps.cluster().node(), now, now.plus(deps.cluster().leaseTtl()));
          for (String lane : batch) {
            if (!got.containsKey(lane)) {
              // another node holds it: told at this commit, so that it reads the new message at once
              MessageTable.notifyLane(c, lane);
            }
          }
          return got;
        })
        .whenCompleteAsync((claimed, err) -> {
          claiming = false;
          if (err != null) {
            toClaim.addAll(batch); // discovery finds them too
            control.schedule(this::claim, STORE_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            return;
          }
          claimed.forEach(this::adopt);
          claim();
        }, control);
  }

  /** Claims lanes with queued messages that nobody delivers: expired leases, lanes never claimed. */
  private void discover() {
    int room = deps.maxInMemory() - byGid.size();
    if (discovering || stopping || !started || room < deps.maxInMemory() / 4) {
      return;
    }
    discovering = true;
    int limit = Math.max(1, Math.min(100, room / 16));
    java.time.Instant now = deps.clock().instant();
    deps.store()
        .write(c -> Leases.claimIdle(c, deps.cluster().node(), now, now.plus(deps.cluster().leaseTtl()), limit))
        .whenCompleteAsync((claimed, err) -> {
          discovering = false;
          if (err == null) {
            claimed.forEach(this::adopt);
            if (claimed.size() == limit) {
              discover();
            }
          }
        }, control);
  }

  /** This node holds {@code lane} now: its queue is read. */
  private void adopt(String lane, long fence) {
    log.debug("lane {} is this node's (fence {})", lane, fence);
    Lane l = lanes.computeIfAbsent(lane, k -> new Lane(k, fence));
    l.fence = Math.max(l.fence, fence);
    readLane(l);
  }

  /**
   * Reads the lane's queued messages and holds those not held yet, in acceptance order. The whole
   * lane is read each time (a lane's queue is short; a row committed late on another node may be
   * older than one already held), at most a page: the rest when the lane has room again. Lanes
   * are read in batches, one batch at a time: the lanes that ask while a batch is read, or while
   * the control thread has more of a commit's messages to take, go together in one round trip.
   */
  private void readLane(Lane l) {
    if (toRead.contains(l)) {
      return; // its read has not gone out yet: it will see what is committed now
    }
    if (l.reading || l.releasing) {
      l.dirty = true; // read when the read ends; a release that ends claims the lane again
      return;
    }
    if (stopping || !started) {
      return;
    }
    l.reading = true;
    l.dirty = false;
    toRead.add(l);
    if (!readingLanes && !lanesQueued) {
      lanesQueued = true;
      control.execute(this::readLanes); // behind the tasks queued already: the rest of a commit's messages
    }
  }

  /** Most lanes one read asks for. */
  private static final int LANES_PER_READ = 100;

  /** Sends the lanes waiting in {@link #toRead} as one read. Control thread. */
  private void readLanes() {
    lanesQueued = false;
    if (readingLanes || stopping || toRead.isEmpty()) {
      return;
    }
    List<Lane> batch = new java.util.ArrayList<>();
    for (java.util.Iterator<Lane> it = toRead.iterator(); it.hasNext() && batch.size() < LANES_PER_READ; ) {
      Lane l = it.next();
      it.remove();
      if (lanes.get(l.id) == l) {
        batch.add(l);
      } else {
        l.reading = false; // lost while it waited
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    readingLanes = true;
    if (laneReads == 0) {
      forgetDeleted();
    }
    laneReads++;
    java.util.Set<String> known = new java.util.HashSet<>(gone.keySet());
    known.addAll(orphaned);
    // at most maxInMemory held: the rest of a long lane is read when the lane runs out (its
    // release finds the rows)
    int limit = Math.max(1, Math.min(PAGE, deps.maxInMemory() - byGid.size()));
    List<String> ids = new java.util.ArrayList<>(batch.size());
    for (Lane l : batch) {
      ids.add(l.id);
      ArrayDeque<Entry> q = l.conversation == null ? null : conversations.get(l.conversation);
      if (q != null) {
        q.forEach(e -> known.add(e.m.gid()));
      }
    }
    deps.store()
        .read(c -> MessageTable.ofLanes(c, ids, known, limit))
        .whenCompleteAsync((rows, err) -> {
          readingLanes = false;
          laneReads--;
          if (laneReads == 0) {
            forgetDeleted();
          }
          Map<String, List<StoredMessage>> byLane = new HashMap<>();
          if (err == null) {
            log.debug("lanes {}: {} new of their messages read ({} held)", ids, rows.size(), byGid.size());
            for (StoredMessage m : rows) {
              byLane.computeIfAbsent(MessageTable.lane(laneSeal, m.conversation()), k -> new java.util.ArrayList<>())
                  .add(m);
            }
          }
          for (Lane l : batch) {
            l.reading = false;
            if (lanes.get(l.id) != l) {
              continue; // lost meanwhile
            }
            if (err != null) {
              l.dirty = false;
              control.schedule(() -> readLane(l), STORE_RETRY.toMillis(), TimeUnit.MILLISECONDS);
              continue;
            }
            for (StoredMessage m : byLane.getOrDefault(l.id, List.of())) {
              l.conversation = m.conversation();
              if (!byGid.containsKey(m.gid()) && !gone.containsKey(m.gid()) && !orphaned.contains(m.gid())) {
                total.incrementAndGet();
                hold(m);
              }
            }
            if (l.dirty) {
              readLane(l);
            } else if (l.conversation == null) {
              release(l); // nothing queued
            } else {
              maybeRelease(l);
            }
          }
          readLanes(); // the lanes that asked meanwhile
        }, control);
  }

  /**
   * Gives lane {@code l} (null: none) up if nothing of it is held, read or being finished, after
   * {@link #LINGER}: a conversation that goes on soon keeps its lease (and its node) rather than
   * pay a release and a claim per message. A lane this node no longer holds is left alone.
   */
  private void maybeRelease(Lane l) {
    if (l == null || lanes.get(l.id) != l || !idle(l) || l.lingering) {
      return;
    }
    l.lingering = true;
    control.schedule(() -> {
      l.lingering = false;
      if (lanes.get(l.id) == l && idle(l)) {
        release(l);
      }
    }, LINGER.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Nothing of the lane is held, read or being finished. */
  private boolean idle(Lane l) {
    return !l.reading && l.finishing == 0 && (l.conversation == null || !conversations.containsKey(l.conversation));
  }

  /** How long a lane with nothing queued keeps its lease. */
  private static final Duration LINGER = Duration.ofSeconds(1);

  private void release(Lane l) {
    if (l.releasing || stopping) {
      return;
    }
    l.releasing = true;
    deps.store()
        .write(c -> Leases.release(c, l.id, deps.cluster().node()))
        .whenCompleteAsync((r, err) -> {
          l.releasing = false;
          log.debug("lane {} released: {}", l.id, err != null ? err.toString() : r);
          if (lanes.get(l.id) != l) {
            return;
          }
          if (err != null) {
            // kept, and renewed: read if notified meanwhile, else released again shortly
            if (l.dirty) {
              readLane(l);
            } else {
              control.schedule(() -> {
                if (lanes.get(l.id) == l && idle(l)) {
                  release(l);
                }
              }, STORE_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            }
            return;
          }
          switch (r) {
            case RELEASED -> {
              // nothing was held or read while the release ran (reads wait for it)
              lanes.remove(l.id);
              if (l.dirty) {
                // a new message was notified meanwhile, perhaps after the release looked
                toClaim.add(l.id);
                claim();
              }
            }
            case NOT_MINE -> lost(l);
            // new messages came meanwhile, or finished ones' deletions are not visible yet: read
            // again (now if notified, else shortly)
            case BUSY -> {
              if (l.dirty) {
                readLane(l);
              } else {
                control.schedule(() -> readLane(l), 100, TimeUnit.MILLISECONDS);
              }
            }
          }
        }, control);
  }

  /** Another node holds {@code l} now: its messages leave this node's memory (not its store). */
  private void lost(Lane l) {
    log.debug("lane {} is another node's now", l.id);
    lanes.remove(l.id);
    if (l.conversation == null) {
      return;
    }
    ArrayDeque<Entry> q = conversations.get(l.conversation);
    if (q == null) {
      return;
    }
    log.info("a lane's lease passed to another node; {} of its messages are left to it", q.size());
    for (Entry e : List.copyOf(q)) {
      if (e.sending) {
        e.orphaned = true;
        orphaned.add(e.m.gid());
      }
      cancelTimers(e);
      remove(e);
      total.decrementAndGet();
    }
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * Stops starting attempts and waits up to {@code grace} for those in flight. Queued messages
   * stay in the store for the next start.
   */
  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }

  public void close(Duration grace) {
    stopping = true;
    if (ticker != null) {
      ticker.cancel(false);
    }
    long until = System.nanoTime() + grace.toNanos();
    while (sending.get() > 0 && System.nanoTime() < until) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (deps.cluster() != null && sending.get() == 0) {
      // hand the lanes over now rather than when their leases expire (their messages stay queued);
      // with an attempt still in flight they expire instead, so that nobody sends it again at once
      try {
        deps.store().write(c -> Leases.releaseAll(c, deps.cluster().node()))
            .get(Math.max(1, (until - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        log.debug("the leases were not handed over ({}): they expire", e.toString());
      }
    }
    // let outcomes of the last attempts be written
    control.shutdown();
    try {
      control.awaitTermination(Math.max(1, (until - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
    control.shutdownNow();
  }
}
