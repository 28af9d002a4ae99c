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
      int maxInMemory) {}

  /** Queued messages read back from the store at once. */
  private static final int PAGE = 1000;

  /**
   * What grading a message for its destination needs (contract part 2): the snippets a reaction
   * fallback quotes and the capability URLs of held media.
   */
  public record Preparation(Snippets snippets, MediaLinks media) {}

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

    Entry(StoredMessage m) {
      this.m = m;
    }
  }

  private final Deps deps;
  private final Preparer preparer;
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
  private final Timer latency;
  private final DeliveryHealth health;
  private volatile boolean stopping;

  public DeliveryScheduler(Deps deps) {
    this.deps = deps;
    this.preparer = new Preparer(deps.store(), deps.preparation(), deps.clock(), deps.router().networks());
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

  /** Messages queued now, held in memory or waiting in the store. */
  public long depth() {
    return total.get();
  }

  /** Queues a stored message (call in commit order, after its commit). */
  public void enqueue(StoredMessage m) {
    total.incrementAndGet();
    control.execute(() -> add(m));
  }

  /**
   * Takes up what a previous run left in the store: counts it, before any adapter can hand over a
   * new message (which then waits behind it). Nothing is read back until {@link #start}. Returns
   * the count.
   */
  public CompletionStage<Integer> recover() {
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
    if (!spilled || loading || stopping) {
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
    conversations.computeIfAbsent(m.conversation(), k -> new ArrayDeque<>()).add(e);
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
    if (stopping || !byGid.containsKey(e.m.gid())) {
      e.active = false;
      return;
    }
    if (!deps.clock().instant().isBefore(e.m.deadline())) {
      finish(e, Outcome.expired());
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
    deps.store()
        .read(c -> deps.router().choose(c, e.m.sender(), e.m.recipient(), e.m.envelope(), e.excluded))
        .thenCompose(
            choice -> {
              if (choice.target() == null) {
                return CompletableFuture.failedFuture(
                    new NoRouteException(e.permanentReason != null ? e.permanentReason : choice.reason()));
              }
              used[0] = choice.target();
              return preparer.prepare(e.m, choice.target()).thenCompose(g -> send(e, choice.target(), g));
            })
        .whenCompleteAsync((result, err) -> afterAttempt(e, used[0], result, err), control);
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
          cb.onError(took, TimeUnit.NANOSECONDS, cause);
          throw new CompletionException(cause);
        });
  }

  private void afterAttempt(Entry e, Router.Target target, Attempt attempt, Throwable err) {
    e.sending = false;
    sending.decrementAndGet();
    Network network = target == null ? null : target.network();
    if (!byGid.containsKey(e.m.gid())) {
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
    if (!byGid.containsKey(e.m.gid()) || e.finishing) {
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
    readBack();
    Counter.builder(MetricNames.DELIVERIES)
        .description("messages that left the queue, by outcome")
        .tag(MetricNames.TAG_NETWORK, o.network())
        .tag(MetricNames.TAG_OUTCOME, o.status().wire())
        .register(deps.meters())
        .increment();
    StatusReport report = new StatusReport(e.m.sourceId(), o.status(), o.reason(), deps.clock().instant(), o.grade(), null);
    record(e.m, report, network, result);
    pump(e.m.conversation());
  }

  /**
   * One transaction: the row goes; for a delivered leg, its reference (and, on single-identity
   * networks, the recipient's most recent conversation); the status, or for networks that report
   * receipts, the wait for the receipt (the status comes with it).
   */
  private void record(StoredMessage m, StatusReport report, Network network, DeliveryResult result) {
    deps.store()
        .write(
            c -> {
              if (!MessageTable.delete(c, m.gid())) {
                return null;
              }
              boolean inGroup = io.parlor.core.groups.GroupLegs.groupOf(m).isPresent();
              if (network != null && result != null) {
                preparer.writeLeg(c, m, network, result, report.at());
                if (!inGroup && network.adapter().capabilities().deliveryReceipts() == io.parlor.spi.Level.FULL) {
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
              return StatusOutbox.add(c, m.sourceNetwork(), report);
            })
        .whenComplete(
            (entry, err) -> {
              if (err != null) {
                if (io.parlor.core.store.StoreUnavailableException.in(err)) {
                  log.debug("the outcome of {} waits for the store; will retry", m.gid()); // logged once by the store
                } else {
                  log.warn("could not record the outcome of {}; will retry", m.gid(), err);
                }
                control.schedule(() -> record(m, report, network, result), STORE_RETRY.toMillis(), TimeUnit.MILLISECONDS);
              } else {
                deps.store().noteDeletion();
                if (entry != null) {
                  deps.statuses().dispatch(entry);
                }
                try {
                  control.execute(() -> deleted(m.gid()));
                } catch (java.util.concurrent.RejectedExecutionException stopped) {
                  // shutting down: nothing reads back any more
                }
              }
            });
  }

  /** A finished message's row is gone: a page read from now on cannot hold it. Control thread. */
  private void deleted(String gid) {
    if (loading) {
      gone.replace(gid, true); // the page being read may still hold it: dropped when it arrives
    } else {
      gone.remove(gid);
    }
  }

  /** The reference of a delivered leg, without touching the queue (a copy delivered after a drop). */
  private void recordLeg(StoredMessage m, Network network, DeliveryResult result) {
    if (network == null) {
      return;
    }
    deps.store()
        .write(c -> {
          preparer.writeLeg(c, m, network, result, deps.clock().instant());
          return null;
        })
        .exceptionally(err -> {
          if (!io.parlor.core.store.StoreUnavailableException.in(err)) {
            log.warn("could not record the reference of {}", m.gid(), err);
          }
          return null;
        });
  }

  private void remove(Entry e) {
    if (byGid.remove(e.m.gid()) == null) {
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

  private void countAttempt(String network, Throwable cause) {
    String outcome =
        cause == null
            ? "ok"
            : cause instanceof PermanentDeliveryException
                ? "permanent"
                : cause instanceof CallNotPermittedException ? "circuit_open" : "transient";
    Counter.builder(MetricNames.DELIVERY_ATTEMPTS)
        .tag(MetricNames.TAG_NETWORK, network)
        .tag(MetricNames.TAG_OUTCOME, outcome)
        .register(deps.meters())
        .increment();
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
    long until = System.nanoTime() + grace.toNanos();
    while (sending.get() > 0 && System.nanoTime() < until) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        break;
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
