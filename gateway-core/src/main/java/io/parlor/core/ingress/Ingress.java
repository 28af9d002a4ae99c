package io.parlor.core.ingress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.delivery.DeliveryScheduler;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.RelayTable;
import io.parlor.core.routing.ReplyTable;
import io.parlor.core.routing.ThreadTable;
import io.parlor.core.safety.SafetyLog;
import io.parlor.core.conversation.Presentation;
import io.parlor.core.conversation.ReferenceResolver;
import io.parlor.core.store.StatusOutbox;
import io.parlor.spi.StatusReport;
import java.util.ArrayList;
import java.util.List;
import io.parlor.spi.envelope.Content;
import io.parlor.core.routing.Router;
import io.parlor.core.store.MessageTable;
import io.parlor.core.groups.GroupFanOut;
import io.parlor.core.store.Store;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.InboundSink;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.envelope.Timer;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The core's entrance: validates an envelope a network sent, dedupes it on (source network, id),
 * asks the router, mints the relay handle, stores it, and only then answers — so an accepted
 * message is durable. Thread-safe; never blocks (decisions run inside the store's group commit,
 * which also makes dedupe, routing and insertion one atomic step).
 */
public final class Ingress {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Ingress.class);
  private final Store store;
  private final Router router;
  private final RelayTable relays;
  private final DeliveryScheduler scheduler;
  private final Clock clock;
  private final Duration maxAge;
  private final SecureRandom random;
  private final MeterRegistry meters;
  private final java.util.function.Predicate<NetworkId> singleIdentity;
  private final SafetyLog safety;
  private final io.parlor.core.safety.Reporting reporting;
  private final io.parlor.core.safety.Limits limits;
  private final Conversations conversations;
  private final GroupFanOut groups;
  private volatile boolean open = true;

  /** Construction parameters. */
  public record Deps(
      Store store,
      Router router,
      RelayTable relays,
      DeliveryScheduler scheduler,
      Clock clock,
      Duration maxAge,
      SecureRandom random,
      MeterRegistry meters,
      java.util.function.Predicate<NetworkId> singleIdentity,
      SafetyLog safety,
      io.parlor.core.safety.Reporting reporting,
      io.parlor.core.safety.Limits limits,
      Conversations conversations,
      long maxQueued) {}

  /**
   * What ingress needs for conversations beyond text: the snippets reaction fallbacks quote, how
   * long reference metadata lives, where statuses of removed queued messages go, and the
   * explanation sent to people whose message a single-identity number cannot route.
   */
  public record Conversations(
      io.parlor.core.conversation.Snippets snippets,
      Duration metadataRetention,
      io.parlor.core.delivery.StatusDispatcher statuses,
      java.util.function.BiConsumer<NetworkId, Address> explainUnroutable,
      io.parlor.core.conversation.ThreadTimers timers,
      java.util.function.BiConsumer<NetworkId, Address> confirmBlock,
      java.util.function.BiConsumer<NetworkId, Address> confirmReport) {}

  private final long maxQueued;

  public Ingress(Deps d) {
    this.store = d.store();
    this.router = d.router();
    this.relays = d.relays();
    this.scheduler = d.scheduler();
    this.clock = d.clock();
    this.maxAge = d.maxAge();
    this.random = d.random();
    this.meters = d.meters();
    this.singleIdentity = d.singleIdentity();
    this.safety = d.safety();
    this.reporting = d.reporting();
    this.limits = d.limits();
    this.conversations = d.conversations();
    this.maxQueued = d.maxQueued();
    this.groups = new GroupFanOut(d.router(), d.relays());
  }

  /** The sink handed to the adapter of {@code network}. */
  public InboundSink sinkFor(NetworkId network) {
    return envelope -> accept(network, envelope);
  }

  /** Stops accepting: later messages get a temporary error (used while draining). */
  public void close() {
    open = false;
  }

  private static final IngressResult.Refused HELD = IngressResult.Refused.of(IngressResult.Refused.HELD_FOR_REVIEW,
      "the sender is held for review; an operator decides");

  CompletionStage<IngressResult> accept(NetworkId source, Envelope e) {
    if (!open) {
      return CompletableFuture.failedFuture(
          new InboundSink.StoreUnavailableException("node is shutting down", null));
    }
    if (e.from().kind() != Address.Kind.ACCOUNT
        || !e.from().network().orElseThrow().equals(source)) {
      return refused(
          source,
          IngressResult.Refused.of(
              IngressResult.Refused.INVALID_ENVELOPE,
              "from: must be an account on network " + source + " (network:account)"));
    }
    Instant now = clock.instant();
    if (!deadline(e, now).isAfter(now)) {
      return refused(
          source,
          IngressResult.Refused.of(IngressResult.Refused.EXPIRED, "the message's timer has already run out"));
    }
    java.util.Optional<Duration> wait = limits.answeredRecently(source, e.id().value())
        ? java.util.Optional.empty() // a redelivery: a duplicate, or refused again by the store's own check
        : limits.take(source, e.from(), e.to());
    if (wait.isPresent()) {
      // over a volume limit (sender, pair or network): refused before the store sees it, with when
      // to try again — a flood costs other senders nothing
      return refused(source, new IngressResult.Refused(IngressResult.Refused.RATE_LIMITED,
          "too many messages; try again later", wait.get()));
    }
    if (scheduler.depth() >= maxQueued) {
      // before the bound, not after it: the sender keeps the message and retries (503)
      count(source, "queue_full");
      return CompletableFuture.failedFuture(new InboundSink.StoreUnavailableException(
          "the queue is full (delivery.maxQueued); retry later", null));
    }
    String gid = newGatewayId(now); // outside the store's single writer thread: SecureRandom may read /dev/urandom
    // rerunnable: its gateway id and time are drawn here; inside, what it keeps in memory is a
    // store cache, a payload key or a pseudonym key that a rollback cannot leave half-kept
    io.parlor.core.store.SqlWork<Outcome> unit =
        io.parlor.core.store.SqlWork.rerunnable(c -> decideAndStore(c, source, e, now, gid));
    // on the node's HTTP event loop, the unit runs there when the writer is idle: the answer is
    // written there too, with no hand-off to the writer and back (an adapter's own thread never
    // blocks: to it the sink queues the unit, as the SPI says)
    return (io.parlor.core.http.AnsweringThread.answering() ? store.writeHere(unit) : store.write(unit))
        // several nodes: another node's unit made the same row at the same moment (the first
        // contact's relay handle, say); this unit was rolled back alone, and once more finds it
        .exceptionallyCompose(err -> raceWithAnotherNode(err) ? store.write(unit) : CompletableFuture.failedFuture(err))
        // a reference to a message whose delivery is being recorded on the other writer
        // (Store#writeConcurrently): judged again once what that writer had queued is committed
        .thenCompose(r -> unknownReference(r.result) && store.writesApart()
            ? store.writeAfterBookkeeping(unit)
            : CompletableFuture.completedFuture(r))
        .handle(
            (r, err) -> {
              if (err != null && MessageTable.AlreadySeenException.in(err)) {
                // another node accepted the same message at the same moment: it has it
                count(source, outcome(new IngressResult.Duplicate()));
                return new IngressResult.Duplicate();
              }
              if (err != null) {
                count(source, "store_error");
                if (!io.parlor.core.store.StoreUnavailableException.storeDown(err)) {
                  // not the store being down (that logs itself, once): a bug, with its trace
                  log.error("storing a message failed", err);
                }
                throw new InboundSink.StoreUnavailableException("message could not be stored", err);
              }
              afterCommit(source, e, r, now);
              if (!(r.result instanceof IngressResult.Refused)) {
                limits.answered(source, e.id().value());
              }
              count(source, outcome(r.result));
              return r.result;
            });
  }

  /**
   * What one message's unit of work decided.
   *
   * @param stored the queued message, or null
   * @param removed queued messages a delete took back (their statuses are in {@code statuses})
   * @param statuses statuses written in the same transaction, to dispatch after the commit
   */
  private record Outcome(
      IngressResult result, StoredMessage stored, List<String> removed, List<StatusOutbox.Entry> statuses,
      List<StoredMessage> legs, boolean blocked, io.parlor.core.safety.Reporting.Filing report,
      io.parlor.core.safety.Reports.Hold held) {
    Outcome(IngressResult result, StoredMessage stored) {
      this(result, stored, List.of(), List.of(), List.of(), false, null, null);
    }

    Outcome(IngressResult result, StoredMessage stored, List<String> removed, List<StatusOutbox.Entry> statuses) {
      this(result, stored, removed, statuses, List.of(), false, null, null);
    }

    Outcome(IngressResult result, StoredMessage stored, List<String> removed, List<StatusOutbox.Entry> statuses,
        List<StoredMessage> legs) {
      this(result, stored, removed, statuses, legs, false, null, null);
    }
  }

  private void afterCommit(NetworkId source, Envelope e, Outcome r, Instant now) {
    if (!r.removed().isEmpty()) {
      scheduler.drop(r.removed());
    }
    r.statuses().forEach(conversations.statuses()::dispatch);
    // the message, or the first of its legs to a group's members: what reaction fallbacks quote
    StoredMessage m = r.stored() != null ? r.stored() : r.legs().isEmpty() ? null : r.legs().get(0);
    if (m != null && m.envelope().content() instanceof Content.Text t) {
      Instant until = now.plus(conversations.metadataRetention());
      conversations.snippets().put(
          source, e.id(), m.sender(), t.text(), m.deadline().isBefore(until) ? m.deadline() : until);
    }
    r.legs().forEach(scheduler::enqueue);
    if (r.stored() != null) {
      scheduler.enqueue(r.stored());
    }
    if (r.result() instanceof IngressResult.Refused refused
        && refused.code().equals(IngressResult.Refused.RECIPIENT_UNREACHABLE)
        && singleIdentity.test(source)) {
      conversations.explainUnroutable().accept(source, e.from());
    }
    if (r.held() != null) {
      reporting.heldForFanOut(r.held(), source);
    }
    if (r.report() != null) {
      reporting.after(r.report());
      conversations.confirmReport().accept(source, e.from());
    } else if (r.blocked()) {
      conversations.confirmBlock().accept(source, e.from());
    }
  }

  private Outcome decideAndStore(java.sql.Connection c, NetworkId source, Envelope e, Instant now, String gid)
      throws java.sql.SQLException {
    // the route is decided first (it only reads): an accepted message's dedupe key is then read
    // with its thread and its relay handle, in one statement; any other is looked up alone. Either
    // way before anything is written or answered: a retry is a duplicate, whatever it would be now
    Router.Decision d = router.decide(c, e);
    ThreadTable.Lookups lookups = null;
    if (d instanceof Router.Accept acc) {
      lookups = ThreadTable.forMessage(
          c, source, e.id(), acc.sender(), acc.recipient(), conversations.timers().defaultSeconds());
    }
    if (lookups != null ? lookups.seen() : MessageTable.seen(c, source, e.id())) {
      return new Outcome(new IngressResult.Duplicate(), null);
    }
    if (d instanceof Router.Refuse r) {
      return new Outcome(r.refusal(), null);
    }
    if (d instanceof Router.BlockByReply b) {
      // STOP / BLOCK answered to a pool number or a single identity: nothing is delivered; a
      // retry of the same message is a duplicate (no second confirmation)
      String shown = b.shown();
      if (shown == null) {
        PartyKey person = PartyKey.person(b.personId());
        shown = relays.handleFor(c, b.target(), person, relays.shown(c, b.target(), person), now).value();
      }
      PeopleTable.blockParty(c, b.personId(), b.target(), shown);
      io.parlor.core.safety.Reporting.Filing report = null;
      if (b.report()) {
        // REPORT: a block that also counts towards holding the sender (and is forwarded when it
        // answered a known message whose network takes reports)
        // (blocked above, as the number or handle they saw)
        report = reporting.file(c, PartyKey.person(b.personId()), b.target(), b.answered(), "other", null, null, false,
            now);
      }
      MessageTable.remember(c, source, e.id(), now);
      return new Outcome(new IngressResult.Accepted(gid), null, List.of(), List.of(), List.of(), true, report, null);
    }
    PartyKey from = d instanceof Router.Accept acc ? acc.sender() : ((Router.GroupAccept) d).sender();
    // held as the person or as the account (a sender held before they linked it stays held)
    if (io.parlor.core.safety.Reports.held(c, from, PartyKey.address(e.from()))) {
      // held for review (reports reached the threshold, or an operator confirmed it): on every network
      return new Outcome(HELD, null);
    }
    if (d instanceof Router.GroupAccept g) {
      return toGroup(c, source, e, g, now, gid);
    }
    Router.Accept a = (Router.Accept) d;
    if (e.content() instanceof Content.Encrypted enc && enc.isPerMember()) {
      return new Outcome(IngressResult.Refused.of(IngressResult.Refused.INVALID_ENVELOPE,
          "content.perMember: only for a message to a group address; one recipient takes content.ciphertext"), null);
    }
    Envelope msg = a.content() == null ? e : e.withContent(a.content());
    // the thread's row, read once (above) for its timers and its encryption flag
    ThreadTable.Timers thread = lookups.thread();
    msg = withThreadTimer(c, msg, a.sender(), a.recipient(), thread, now);
    Instant deadline = deadline(msg, now);
    if (!deadline.isAfter(now)) {
      return new Outcome(IngressResult.Refused.of(IngressResult.Refused.EXPIRED, "the message's timer has already run out"), null);
    }
    java.util.Optional<IngressResult.Refused> refusal = router.refusal(c, msg, a.sender(), a.recipient(), thread.e2ee());
    if (refusal.isPresent()) {
      return new Outcome(refusal.get(), null);
    }
    java.util.Optional<RelayTable.Shown> shown = lookups.shown();
    boolean known = shown.isPresent() || relays.exists(c, a.recipient(), a.sender());
    if (!known && safety.fanOutExceeded(c, a.sender(), a.recipient(), now, limits.factor(source))) {
      return new Outcome(
          new IngressResult.Refused(
              IngressResult.Refused.RATE_LIMITED, "too many new conversations started; try again later",
              java.time.Duration.ofMinutes(10)),
          null);
    }
    if (!known) {
      // fanning out to strangers who never answer: slowed by the limit above, then held
      int threshold = Math.max(1, (int) (limits.settings().holdAfterStrangers() * limits.factor(source)));
      int strangers = safety.unansweredFanOut(c, a.sender(), now, threshold,
          io.parlor.core.safety.Reports.releasedAt(c, a.sender()).orElse(null));
      if (strangers > 0) {
        java.util.Optional<io.parlor.core.safety.Reports.Hold> hold =
            reporting.reports().hold(c, a.sender(), "fan_out", strangers, now);
        return new Outcome(HELD, null, List.of(), List.of(), List.of(), false, null, hold.orElse(null));
      }
    }
    ReferenceResolver.References refs = ReferenceResolver.forMessage(c, source, msg, a.sender(), a.recipient());
    if (refs.refusal() != null) {
      return new Outcome(refs.refusal(), null);
    }
    safety.record(c, source, a.sender(), a.recipient(), now);
    boolean encrypted = msg.content() instanceof Content.Encrypted;
    if (!lookups.touchChangesNothing(encrypted, now)) { // most messages: a statement saved
      ThreadTable.touch(c, ThreadTable.key(a.sender(), a.recipient()), encrypted, conversations.timers().defaultSeconds(), now);
    }
    Address handle = relays.handleFor(c, a.sender(), a.recipient(), shown, now);
    // the address the sender wrote to is in use too, however one-sided the conversation
    if (e.to().kind() == Address.Kind.RELAY) {
      RelayTable.used(c, e.to(), now);
    } else if (router.poolNumber(e.to())) {
      ReplyTable.poolUsed(c, e.to().network().orElseThrow(), a.sender(), e.to(), now);
    }
    // The recipient sees the relay handle (or the sender's public handle, if they chose so), never
    // the sender's account on another network; replyTo and targets are carried in Parlor's terms
    // (refs) and translated for the destination at delivery.
    Instant expiresAt = expiresAt(msg, now);
    // an encrypted message's commitment to its plaintext is stamped for this sender, this recipient
    // and this time (message franking): the recipient can report it verifiably
    Envelope franked = msg.content() instanceof Content.Encrypted
        ? msg.withContent(io.parlor.core.safety.Franking.stamp(c, msg.content(), a.sender(), a.recipient(), gid, now))
        : msg;
    Envelope outbound =
        Presentation.presented(c, franked.withFrom(handle), a.sender())
            .withId(io.parlor.spi.envelope.MessageId.of(gid)).withReplyTo(null).withExpiresAt(expiresAt);
    if (singleIdentity.test(source)) {
      ReplyTable.touchRecent(c, source, a.sender(), a.recipient(), now);
    }
    List<String> removed = new ArrayList<>();
    List<StatusOutbox.Entry> statuses = new ArrayList<>();
    if (refs.queuedTarget() != null) {
      // delete for everyone of a message still queued: it is never delivered
      StoredMessage target = refs.queuedTarget();
      MessageTable.takeBack(c, target.gid());
      removed.add(target.gid());
      statuses.add(
          StatusOutbox.add(
              c, target.sourceNetwork(),
              new StatusReport(target.sourceId(), StatusReport.Status.FAILED, "deleted", now)));
    }
    StoredMessage m =
        new StoredMessage(
            gid, 0, source, e.id(), conversation(a.sender(), a.recipient()), a.sender(),
            a.recipient(), outbound, deadline, refs.refs());
    StoredMessage stored = MessageTable.insert(c, m, now);
    return new Outcome(new IngressResult.Accepted(gid), stored, removed, statuses);
  }

  /**
   * A message to a group: without its own timer it gets the group's default; then one leg per
   * other member ({@link GroupFanOut}). Replies from a single-identity network continue the group.
   */
  private Outcome toGroup(java.sql.Connection c, NetworkId source, Envelope e, Router.GroupAccept g, Instant now, String gid)
      throws java.sql.SQLException {
    java.util.Optional<io.parlor.core.groups.GroupTable.Group> group = io.parlor.core.groups.GroupTable.find(c, g.groupId());
    if (group.isEmpty()) {
      return new Outcome(GroupFanOut.NOT_A_MEMBER, null);
    }
    Envelope msg = e;
    if (msg.timer() == null && group.get().timerSeconds() != null) {
      msg = msg.withTimer(new Timer(group.get().timerSeconds(), Timer.Start.SEND));
    }
    Instant deadline = deadline(msg, now);
    if (!deadline.isAfter(now)) {
      return new Outcome(IngressResult.Refused.of(IngressResult.Refused.EXPIRED, "the message's timer has already run out"), null);
    }
    GroupFanOut.Result r = groups.fromMember(c, source, msg, g.sender(), group.get(), gid, deadline, now);
    if (!(r.result() instanceof IngressResult.Accepted)) {
      return new Outcome(r.result(), null);
    }
    PartyKey party = PartyKey.group(g.groupId());
    safety.record(c, source, g.sender(), party, now);
    if (singleIdentity.test(source)) {
      ReplyTable.touchRecent(c, source, g.sender(), party, now);
    }
    List<String> removed = new ArrayList<>();
    List<StatusOutbox.Entry> statuses = new ArrayList<>();
    if (r.status() != null) {
      statuses.add(StatusOutbox.add(c, source, r.status()));
    }
    for (StoredMessage target : r.removed()) {
      // a delete for everyone took a still-queued leg back: it ends as failed in its message's tally
      removed.add(target.gid());
      java.util.Optional<StatusReport> done = io.parlor.core.groups.GroupLegs.legEnded(c, target, false, now);
      if (done.isPresent()) {
        statuses.add(StatusOutbox.add(c, target.sourceNetwork(), done.get()));
      }
    }
    return new Outcome(r.result(), null, removed, statuses, r.legs());
  }

  /**
   * The thread's timer ({@link io.parlor.core.conversation.ThreadTimers}): a message without a
   * timer of its own gets it; one with its own never outlives it — a longer send timer is cut to
   * the thread's, a read timer at least as long is replaced by the thread's, and the message's
   * {@code expiresAt} is no later than the thread's timer gives (never later than either side
   * wants, on the gateway or on the devices).
   */
  private Envelope withThreadTimer(
      java.sql.Connection c, Envelope e, PartyKey a, PartyKey b, ThreadTable.Timers thread, Instant now)
      throws java.sql.SQLException {
    Long seconds = conversations.timers().timer(c, a, b, thread);
    if (seconds == null) {
      return e;
    }
    if (e.timer() == null || e.timer().seconds() >= seconds) {
      e = e.withTimer(new Timer(seconds, Timer.Start.SEND));
    }
    Instant threadEnd = (e.sentAt().isAfter(now) ? now : e.sentAt()).plusSeconds(seconds);
    return e.expiresAt() == null || threadEnd.isBefore(e.expiresAt()) ? e.withExpiresAt(threadEnd) : e;
  }

  private static String conversation(PartyKey from, PartyKey to) {
    return from.value() + " " + to.value();
  }

  /** When a send-started timer runs out, if any. Counted from sentAt, never from the future. */
  public static Instant expiresAt(Envelope e, Instant now) {
    Instant at = e.expiresAt();
    Timer t = e.timer();
    if (t != null && t.start() == Timer.Start.SEND) {
      Instant from = e.sentAt().isAfter(now) ? now : e.sentAt();
      Instant timerEnd = from.plusSeconds(t.seconds());
      at = at == null || timerEnd.isBefore(at) ? timerEnd : at;
    }
    return at;
  }

  private Instant deadline(Envelope e, Instant now) {
    Instant cap = now.plus(maxAge);
    Instant at = expiresAt(e, now);
    return at == null || at.isAfter(cap) ? cap : at;
  }

  /**
   * "g-", 12 hex digits of the acceptance time in epoch milliseconds (the dedupe key's {@code
   * seen_at}), 20 random hex digits: unguessable, and in time order, so that the tables keyed by
   * it append (see {@link MessageTable#gidRange}).
   */
  private String newGatewayId(Instant now) {
    byte[] b = new byte[10];
    random.nextBytes(b);
    return MessageTable.gidPrefix(now.toEpochMilli()) + HexFormat.of().formatHex(b);
  }

  private CompletionStage<IngressResult> refused(NetworkId source, IngressResult.Refused r) {
    count(source, r.code());
    return CompletableFuture.completedFuture(r);
  }

  /**
   * Whether {@code err} is a unique constraint that another node's commit won (PostgreSQL's 23505),
   * other than the message's own dedupe key (a duplicate, answered as one), a message taken back
   * that another writer delivered at the same moment ({@link MessageTable#takeBack}), or a deadlock
   * with another writer: the unit was rolled back alone and is run once more.
   */
  static boolean raceWithAnotherNode(Throwable err) {
    if (MessageTable.AlreadySeenException.in(err)) {
      return false;
    }
    for (Throwable x = err; x != null; x = x.getCause()) {
      // 40001 also when a message taken back left the queue meanwhile (MessageTable#takeBack);
      // 40P01 a deadlock with another writer, which PostgreSQL broke by failing this unit
      if (x instanceof java.sql.SQLException sql && sql.getSQLState() != null
          && List.of("23505", "40001", "40P01").contains(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static boolean unknownReference(IngressResult r) {
    return r instanceof IngressResult.Refused refused && refused.code().equals(IngressResult.Refused.UNKNOWN_REFERENCE);
  }

  private static String outcome(IngressResult r) {
    if (r instanceof IngressResult.Accepted) {
      return "accepted";
    }
    if (r instanceof IngressResult.Duplicate) {
      return "duplicate";
    }
    return ((IngressResult.Refused) r).code();
  }

  private void count(NetworkId network, String outcome) {
    Counter.builder(MetricNames.MESSAGES_RECEIVED)
        .description("messages networks sent to Parlor, by outcome")
        .tag(MetricNames.TAG_NETWORK, network.value())
        .tag(MetricNames.TAG_OUTCOME, outcome)
        .register(meters)
        .increment();
  }
}
