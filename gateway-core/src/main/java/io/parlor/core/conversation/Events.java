package io.parlor.core.conversation;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.delivery.StatusDispatcher;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.RelayTable;
import io.parlor.core.routing.ReferenceTable;
import io.parlor.core.routing.Router;
import io.parlor.core.store.Store;
import io.parlor.core.store.StatusOutbox;
import io.parlor.spi.EventResult;
import io.parlor.spi.EventSender;
import io.parlor.spi.EventSink;
import io.parlor.spi.InboundSink;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.envelope.EventKind;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The events path (contract part 2, section 4), apart from the message queue:
 *
 * <ul>
 *   <li><b>read</b>: the ids the reader's network knows are translated through the {@link
 *       ReferenceTable}; each message not reported read before becomes a {@code read} status to
 *       its sender's network — when that network takes read events and the reader allows read
 *       receipts ({@code sendReadReceipts}). The status rides the durable status path.
 *   <li><b>typing</b>: forwarded best effort to the other party's current network when it takes
 *       typing events; never stored, never retried. Only within an existing conversation.
 *   <li><b>timer</b>: one side sets the thread's disappearing-messages timer ({@link ThreadTimers}).
 * </ul>
 *
 * Thread-safe; never blocks (store work is queued).
 */
public final class Events {
  /** Construction parameters. */
  public record Deps(
      Store store, Router router, RelayTable relays, StatusDispatcher statuses, MeterRegistry meters,
      ThreadTimers timers, java.time.Clock clock, io.parlor.core.safety.Reporting reporting) {}

  private final Deps d;

  public Events(Deps deps) {
    this.d = deps;
  }

  /** The sink handed to the adapter of {@code network}. */
  public EventSink sinkFor(NetworkId network) {
    return event -> accept(network, event);
  }

  CompletionStage<EventResult> accept(NetworkId source, Event e) {
    if (e.from().kind() != Address.Kind.ACCOUNT || !e.from().network().orElseThrow().equals(source)) {
      return done(source, e, EventResult.refused(EventResult.INVALID, "from: must be an account on network " + source));
    }
    CompletionStage<EventResult> r =
        e instanceof Event.Read read ? read(source, read)
            : e instanceof Event.Timer timer ? d.timers().set(timer)
            : e instanceof Event.Report report ? report(source, report) : typing(source, (Event.Typing) e);
    return r.thenApply(result -> count(source, e, result));
  }

  // --- reports -------------------------------------------------------------------------------

  private record Filed(EventResult result, io.parlor.core.safety.Reporting.Filing filing) {}

  /**
   * A report of a message the reporter received: it must name one their network delivered to
   * them; the sender is blocked for them, counted, and the report forwarded when the message's
   * network takes reports.
   */
  private CompletionStage<EventResult> report(NetworkId source, Event.Report e) {
    // a report names a delivered message by the reference its delivery's bookkeeping writes
    return d.store().writeAfterBookkeeping(c -> {
          PartyKey reporter = d.router().partyOf(c, e.from());
          Optional<ReferenceTable.Leg> leg = ReferenceTable.received(c, source, e.id().value(), reporter);
          if (leg.isEmpty()) {
            return new Filed(EventResult.refused(EventResult.UNKNOWN_REFERENCE,
                "id: names no message this account received (or its reference is past the retention window)"), null);
          }
          if (leg.get().represents().isGroup() || leg.get().represents().equals(reporter)) {
            return new Filed(EventResult.refused(EventResult.UNKNOWN_REFERENCE,
                "id: names no message someone else sent to this account"), null);
          }
          byte[] verified = null;
          if (e.franking() != null) {
            if (!io.parlor.core.safety.Franking.verify(c, e.franking(), leg.get().represents(), reporter,
                leg.get().gid())) {
              // a forged report: nothing is filed
              return new Filed(EventResult.refused(io.parlor.core.safety.Franking.INVALID, io.parlor.core.safety.Franking.WHY),
                  null);
            }
            verified = e.franking().plaintext();
          }
          return new Filed(EventResult.accepted(), d.reporting().file(c, reporter, leg.get().represents(), leg.get(),
              e.reason(), e.attachment(), verified, true, d.clock().instant()));
        })
        .handle((f, err) -> {
          if (err != null) {
            throw new InboundSink.StoreUnavailableException("report could not be recorded", err);
          }
          if (f.filing() != null) {
            d.reporting().after(f.filing());
          }
          return f.result();
        });
  }

  // --- read receipts -------------------------------------------------------------------------

  private record ReadOutcome(EventResult result, List<StatusOutbox.Entry> statuses) {}

  private CompletionStage<EventResult> read(NetworkId source, Event.Read e) {
    return d.store().writeAfterBookkeeping(io.parlor.core.store.SqlWork.rerunnable(c -> recordRead(c, source, e))) // SQL only
        .handle(
            (o, err) -> {
              if (err != null) {
                throw new InboundSink.StoreUnavailableException("read receipt could not be recorded", err);
              }
              o.statuses().forEach(d.statuses()::dispatch);
              return o.result();
            });
  }

  private ReadOutcome recordRead(Connection c, NetworkId source, Event.Read e) throws SQLException {
    PartyKey reader = d.router().partyOf(c, e.from());
    Optional<Address> relay = e.toOpt().filter(a -> a.kind() == Address.Kind.RELAY);
    // reads of a group's messages name the reader's own group address
    Optional<String> group = relay.isEmpty() ? Optional.empty()
        : d.relays().find(c, relay.get()).filter(r -> r.viewer().equals(reader) && r.represents().isGroup())
            .map(r -> r.represents().groupId());
    Optional<PartyKey> counterpart = group.isPresent() ? Optional.empty()
        : relay.map(a -> counterpartOrNobody(c, reader, a));
    List<ReferenceTable.Leg> legs = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    if (e.watermark() != null) {
      legs.addAll(ReferenceTable.unreadUntil(c, source, reader, e.watermark()));
    }
    for (MessageId id : e.ids()) {
      Optional<ReferenceTable.Leg> leg = ReferenceTable.received(c, source, id.value(), reader);
      if (leg.isPresent() && counterpart.map(p -> p.equals(leg.get().represents())).orElse(true)
          && (group.isEmpty() || group.get().equals(leg.get().groupId()))) {
        legs.add(leg.get());
      } else {
        unknown.add(id.value());
      }
    }
    if (legs.isEmpty() && !e.ids().isEmpty()) {
      return new ReadOutcome(
          EventResult.refused(EventResult.UNKNOWN_REFERENCE, "ids: none names a message this account received"), List.of());
    }
    boolean receipts = !reader.isPerson()
        || PeopleTable.find(c, reader.personId()).map(p -> p.conversation().sendReadReceipts()).orElse(true);
    List<StatusOutbox.Entry> statuses = new ArrayList<>();
    for (ReferenceTable.Leg leg : legs) {
      boolean inGroup = leg.groupId() != null;
      if (inGroup && !receipts) {
        continue; // not even marked: a later member's read status counts only those who tell
      }
      // a read-started timer starts now, never later: the reference goes when the message does
      java.time.Instant now = d.clock().instant();
      if (!ReferenceTable.markRead(c, leg, e.at(), e.at().isAfter(now) ? now : e.at())
          || !receipts || !takesReads(leg.sourceNetwork())) {
        continue;
      }
      Address account = accountOf(c, leg.represents(), leg.sourceNetwork()).orElse(null);
      // in a group, the sender learns how many members have read it, never who
      StatusReport.Members members = inGroup ? StatusReport.Members.read(ReferenceTable.readsOf(c, leg)) : null;
      statuses.add(
          StatusOutbox.add(
              c, leg.sourceNetwork(),
              new StatusReport(leg.sourceId(), StatusReport.Status.READ, "", e.at(), null, account, members)));
    }
    return new ReadOutcome(EventResult.accepted(unknown), statuses);
  }

  private PartyKey counterpartOrNobody(Connection c, PartyKey reader, Address to) {
    try {
      return d.router().counterpart(c, reader, to).orElse(PartyKey.address(to));
    } catch (SQLException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private boolean takesReads(NetworkId network) {
    return d.router().networks().get(network)
        .map(n -> n.adapter().capabilities().takes(EventKind.READ))
        .orElse(false);
  }

  /** The party's account on {@code network}: what a platform needs to mark its thread read. */
  private static Optional<Address> accountOf(Connection c, PartyKey party, NetworkId network) throws SQLException {
    if (!party.isPerson()) {
      return Optional.of(party.address()).filter(a -> a.network().orElseThrow().equals(network));
    }
    return PeopleTable.find(c, party.personId()).flatMap(p -> p.accountOn(network));
  }

  // --- typing --------------------------------------------------------------------------------

  /** One typing indicator ready to go. */
  private record Notice(EventSender sender, EventSender.TypingNotice notice) {}

  /** The typing indicators to send (none: not shown anywhere), or why not. */
  private record TypingPlan(List<Notice> notices, EventResult refusal) {
    static final TypingPlan NONE = new TypingPlan(List.of(), null);
  }

  private CompletionStage<EventResult> typing(NetworkId source, Event.Typing e) {
    return d.store()
        .read(c -> plan(c, e))
        .thenCompose(
            plan -> {
              if (plan.refusal() != null) {
                return CompletableFuture.completedFuture(plan.refusal());
              }
              for (Notice n : plan.notices()) {
                CompletionStage<Void> sent;
                try {
                  sent = n.sender().typing(n.notice());
                } catch (RuntimeException ex) {
                  sent = CompletableFuture.failedFuture(ex);
                }
                // best effort: the answer does not wait for the destination
                sent.exceptionally(err -> null);
              }
              return CompletableFuture.completedFuture(EventResult.accepted());
            });
  }

  private static final EventResult NO_CONVERSATION =
      EventResult.refused(EventResult.RECIPIENT_UNREACHABLE, "to: no conversation with this address");

  private TypingPlan plan(Connection c, Event.Typing e) throws SQLException {
    PartyKey typist = d.router().partyOf(c, e.from());
    Optional<PartyKey> other = d.router().counterpart(c, typist, e.to());
    if (other.isPresent() && other.get().isGroup()) {
      return groupPlan(c, e, typist, other.get().groupId());
    }
    if (other.isEmpty() || other.get().equals(typist) || !d.router().talking(c, typist, other.get())
        || Router.blocked(c, other.get(), typist)) {
      return new TypingPlan(List.of(), NO_CONVERSATION);
    }
    Optional<Target> where = typingTarget(c, other.get(), false);
    if (where.isEmpty()) {
      return TypingPlan.NONE;
    }
    NetworkId net = where.get().target().network().id();
    Optional<Address> shownAs = shown(c, typist, other.get());
    if (shownAs.isEmpty()) {
      return TypingPlan.NONE; // the typist never wrote to them: nothing to show it as
    }
    boolean receipts = !typist.isPerson()
        || PeopleTable.find(c, typist.personId()).map(p -> p.conversation().sendReadReceipts()).orElse(true);
    MessageId last = ReferenceTable.latestFrom(c, net, other.get(), typist).orElse(null);
    return new TypingPlan(List.of(new Notice(where.get().sender(),
        new EventSender.TypingNotice(where.get().target().account(), shownAs.get(), e.on(), last, receipts))), null);
  }

  /** Where a party sees typing: their current account, if its network takes typing events. */
  private record Target(Router.Target target, EventSender sender) {}

  private Optional<Target> typingTarget(Connection c, PartyKey party, boolean manyIdentitiesOnly) throws SQLException {
    Optional<Router.Target> where = d.router().currentAccount(c, party);
    if (where.isEmpty() || !where.get().network().adapter().capabilities().takes(EventKind.TYPING)) {
      return Optional.empty();
    }
    if (manyIdentitiesOnly && !(where.get().network().adapter().senderPresentation()
        instanceof io.parlor.spi.SenderPresentation.RelayAddress)) {
      return Optional.empty();
    }
    return where.get().network().adapter().feature(EventSender.class).map(s -> new Target(where.get(), s));
  }

  /**
   * Typing in a group: shown to every other member whose current network takes typing events and
   * shows many identities (on a single business identity or a pool number it would look like the
   * group's address typing), as the typist appears to them, at their own group address; never to
   * a member who blocked the typist. Only members may type; anyone else is told there is no
   * conversation.
   */
  private TypingPlan groupPlan(Connection c, Event.Typing e, PartyKey typist, String groupId) throws SQLException {
    if (!typist.isPerson() || !io.parlor.core.groups.Groups.isMember(c, groupId, typist.personId())) {
      return new TypingPlan(List.of(), NO_CONVERSATION);
    }
    PartyKey group = PartyKey.group(groupId);
    List<Notice> out = new ArrayList<>();
    for (io.parlor.core.groups.GroupTable.Membership m : io.parlor.core.groups.GroupTable.members(c, groupId)) {
      PartyKey member = PartyKey.person(m.personId());
      if (m.state() != io.parlor.core.groups.GroupTable.State.MEMBER || member.equals(typist)
          || PeopleTable.blocked(c, m.personId(), typist)) {
        continue;
      }
      Optional<Target> where = typingTarget(c, member, true);
      Optional<Address> shownAs = groupAppearance(c, typist, member);
      Optional<Address> address = d.relays().shown(c, group, member).map(RelayTable.Shown::handle);
      if (where.isPresent() && shownAs.isPresent() && address.isPresent()) {
        out.add(new Notice(where.get().sender(), new EventSender.TypingNotice(
            where.get().target().account(), shownAs.get(), e.on(), null, false, address.get())));
      }
    }
    return new TypingPlan(out, null);
  }

  /** How a member appears to another in a group (read only: absent before the first group message minted it). */
  private Optional<Address> groupAppearance(Connection c, PartyKey typist, PartyKey viewer) throws SQLException {
    Optional<Person> p = PeopleTable.find(c, typist.personId());
    if (p.isPresent() && p.get().handle() != null) {
      return Optional.of(Address.of("@" + p.get().handle()));
    }
    return d.relays().shown(c, typist, viewer).map(RelayTable.Shown::handle);
  }

  /** How {@code typist} appears to {@code viewer}: their public handle if they chose so, else their relay handle. */
  private Optional<Address> shown(Connection c, PartyKey typist, PartyKey viewer) throws SQLException {
    if (typist.isPerson()) {
      Optional<Person> p = PeopleTable.find(c, typist.personId());
      if (p.isPresent() && p.get().handle() != null
          && p.get().conversation().showAs() == io.parlor.core.linking.ConversationPrefs.ShowAs.HANDLE) {
        return Optional.of(Address.of("@" + p.get().handle()));
      }
    }
    return d.relays().shown(c, typist, viewer).map(RelayTable.Shown::handle);
  }

  // --- helpers -------------------------------------------------------------------------------

  private CompletionStage<EventResult> done(NetworkId source, Event e, EventResult r) {
    return CompletableFuture.completedFuture(count(source, e, r));
  }

  private EventResult count(NetworkId source, Event e, EventResult r) {
    Counter.builder(MetricNames.EVENTS)
        .description("events networks reported (read receipts, typing), by outcome")
        .tag(MetricNames.TAG_NETWORK, source.value())
        .tag("kind", e.kind().wire())
        .tag(MetricNames.TAG_OUTCOME, r.isAccepted() ? "accepted" : r.code())
        .register(d.meters())
        .increment();
    return r;
  }
}
