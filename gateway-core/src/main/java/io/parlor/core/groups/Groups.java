package io.parlor.core.groups;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.routing.RelayTable;
import io.parlor.core.routing.Router;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Envelope;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Groups as people manage them (contract part 2, section 5): create, invite, join, leave, remove,
 * rename, set the timer, and forget-me's removal. Nobody is a member without joining; an invitee
 * who does not accept the inviter's messages is treated exactly like an unknown one. Each
 * operation runs on a store connection (one transaction) and says what to do after the commit:
 * invitations to send and announcement legs to queue. Thread-safe (stateless besides its
 * settings).
 */
public final class Groups {
  private final Router router;
  private final RelayTable relays;
  private final GroupFanOut fanOut;
  private final SecureRandom random;
  private final int maxSize;
  private final Duration maxAge;
  private final io.parlor.core.safety.SafetyLog safety;

  private final io.micrometer.core.instrument.Counter sent;
  private final io.micrometer.core.instrument.Counter dropped;
  private final io.micrometer.core.instrument.Counter held;

  /**
   * The group-spammer rule: once a group's invitations got at least this many answers in the
   * window ({@code policy.metadataRetention}) ...
   */
  public static final int HELD_AFTER_ANSWERS = 5;
  /** ... and at least this share of them (percent) were refusals — declined, ignored until they expired, or blocked — its invitations are held. */
  public static final int HELD_REFUSED_PERCENT = 80;

  public Groups(Router router, RelayTable relays, SecureRandom random, int maxSize, Duration maxAge,
      io.parlor.core.safety.SafetyLog safety, io.micrometer.core.instrument.MeterRegistry meters) {
    this.safety = safety;
    this.sent = invitations(meters, "sent");
    this.dropped = invitations(meters, "dropped");
    this.held = invitations(meters, "held");
    this.router = router;
    this.relays = relays;
    this.fanOut = new GroupFanOut(router, relays);
    this.random = random;
    this.maxSize = maxSize;
    this.maxAge = maxAge;
  }

  private static io.micrometer.core.instrument.Counter invitations(io.micrometer.core.instrument.MeterRegistry m, String outcome) {
    return io.micrometer.core.instrument.Counter.builder(io.parlor.core.metrics.MetricNames.GROUP_INVITATIONS)
        .description("group invitations by outcome (held: the group's earlier invitations were mostly refused)")
        .tag(io.parlor.core.metrics.MetricNames.TAG_OUTCOME, outcome)
        .register(m);
  }

  /** The most members a group may have. */
  public int maxSize() {
    return maxSize;
  }

  /** An invitation to send from {@code @parlor} once the transaction committed. */
  public record Invitation(Address account, String text) {}

  /**
   * What an operation did: an error (HTTP status, code, message) or null; the group's id; the
   * invitations to send and the announcement legs to queue after the commit.
   */
  public record Outcome(int status, String code, String message, String groupId, List<Invitation> invitations,
      List<StoredMessage> legs) {
    static Outcome ok(String groupId, List<Invitation> invitations, List<StoredMessage> legs) {
      return new Outcome(0, null, null, groupId, invitations, legs);
    }

    static Outcome error(int status, String code, String message) {
      return new Outcome(status, code, message, null, List.of(), List.of());
    }

    public boolean failed() {
      return code != null;
    }
  }

  private static final Outcome NOT_A_MEMBER = Outcome.error(403, "not_a_member", "you are not a member of this group");
  private static final Outcome NOT_FOUND = Outcome.error(404, "not_found", "no such group");
  private static final Outcome NOT_ADMIN = Outcome.error(403, "not_admin", "only the group's admins may do this");

  private Outcome full() {
    return Outcome.error(409, "group_full", "the group has reached its size limit of " + maxSize + " members");
  }

  /** Creates a group with {@code personId} as its admin and invites {@code invitees}. */
  public Outcome create(Connection c, String personId, String name, Long timerSeconds, List<String> invitees, Instant now)
      throws SQLException {
    if (1 + distinct(invitees).size() > maxSize) {
      return full();
    }
    byte[] b = new byte[8];
    random.nextBytes(b);
    String id = "gr-" + HexFormat.of().formatHex(b);
    GroupTable.create(c, new GroupTable.Group(id, name, timerSeconds), now);
    GroupTable.put(c, new GroupTable.Membership(id, personId, GroupTable.Role.ADMIN, GroupTable.State.MEMBER, now.toEpochMilli()));
    fanOut.groupAddress(c, id, PartyKey.person(personId), now);
    return Outcome.ok(id, invite(c, id, name, personId, invitees, now), List.of());
  }

  /** Invites more people (any member may); 409 {@code group_full} when they would not fit. */
  public Outcome inviteMore(Connection c, String personId, String groupId, List<String> invitees, Instant now)
      throws SQLException {
    Optional<GroupTable.Group> g = GroupTable.find(c, groupId);
    Optional<GroupTable.Membership> me = GroupTable.membership(c, groupId, personId);
    if (g.isEmpty() || me.isEmpty() || me.get().state() == GroupTable.State.BLOCKED) {
      return NOT_FOUND;
    }
    if (me.get().state() != GroupTable.State.MEMBER) {
      return NOT_A_MEMBER;
    }
    // members and every address asked for count, known or not; pending invitations do not (the
    // inviter would learn from a full group which of their invitees exist): joining checks again
    long members = memberCount(c, groupId);
    if (members + distinct(invitees).size() > maxSize) {
      return full();
    }
    return Outcome.ok(groupId, invite(c, groupId, g.get().name(), personId, invitees, now), List.of());
  }

  private List<Invitation> invite(Connection c, String groupId, String name, String inviterId, List<String> invitees,
      Instant now) throws SQLException {
    PartyKey inviter = PartyKey.person(inviterId);
    List<Invitation> out = new ArrayList<>();
    if (held(c, groupId, now)
        || GroupTable.adminOfHeld(c, inviterId, windowStart(now), HELD_AFTER_ANSWERS, HELD_REFUSED_PERCENT)
        // a sender held for review (reports, strangers who never answer) invites nobody either
        || io.parlor.core.safety.Reports.held(c, inviter)) {
      // treated like a fan-out spammer: its invitations are dropped with the usual answer (the
      // inviter learns nothing), until the window's answers age out
      held.increment(distinct(invitees).size());
      return out;
    }
    for (String raw : distinct(invitees)) {
      Optional<String> person = personOf(c, raw);
      if (person.isEmpty() || !router.reachable(c, person.get(), inviter)
          || GroupTable.membership(c, groupId, person.get()).isPresent()) {
        dropped.increment();
        continue; // unknown, not accepting the inviter, already in, or blocked the group: the same answer
      }
      PartyKey invitee = PartyKey.person(person.get());
      // an invitation starts a conversation like a first message: it counts against the
      // inviter's fan-out limit; beyond it invitations are dropped without a word (a refusal
      // would tell the inviter that this invitee exists)
      if (!relays.exists(c, invitee, inviter) && safety.fanOutExceeded(c, inviter, invitee, now)) {
        dropped.increment();
        continue;
      }
      safety.record(c, GroupFanOut.SYSTEM_NETWORK, inviter, invitee, now);
      GroupTable.put(c, new GroupTable.Membership(groupId, person.get(), GroupTable.Role.MEMBER,
          GroupTable.State.INVITED, now.toEpochMilli()));
      Optional<Router.Target> at = router.currentAccount(c, invitee);
      if (at.isPresent()) {
        sent.increment();
        out.add(new Invitation(at.get().account(),
            fanOut.appearance(c, inviter, invitee, now).value() + " invites you to the group \"" + name
                + "\". To join, open your Parlor page; to decline, ignore this message."));
      }
    }
    return out;
  }

  /**
   * Whether the group's invitations are held: enough answers in the window, and most of them
   * refusals.
   */
  boolean held(Connection c, String groupId, Instant now) throws SQLException {
    GroupTable.Answers a = GroupTable.answers(c, groupId, windowStart(now));
    return a.answered() >= HELD_AFTER_ANSWERS && a.refused() * 100 >= a.answered() * HELD_REFUSED_PERCENT;
  }

  private Instant windowStart(Instant now) {
    return now.minus(safety.retention());
  }

  /** Accepts an invitation; 409 {@code group_full} when the group filled meanwhile. */
  public Outcome join(Connection c, String personId, String groupId, Instant now) throws SQLException {
    Optional<GroupTable.Membership> m = GroupTable.membership(c, groupId, personId);
    if (m.isEmpty() || m.get().state() == GroupTable.State.BLOCKED) {
      return NOT_FOUND; // not invited looks like no such group
    }
    if (m.get().state() == GroupTable.State.MEMBER) {
      return Outcome.ok(groupId, List.of(), List.of());
    }
    long members = memberCount(c, groupId);
    if (members >= maxSize) {
      return full();
    }
    GroupTable.put(c, new GroupTable.Membership(groupId, personId, GroupTable.Role.MEMBER, GroupTable.State.MEMBER,
        now.toEpochMilli()));
    GroupTable.answered(c, groupId, 1, 0, windowStart(now), now);
    PartyKey joiner = PartyKey.person(personId);
    fanOut.groupAddress(c, groupId, joiner, now);
    return Outcome.ok(groupId, List.of(), announce(c, groupId, joiner, " joined the group", now));
  }

  /**
   * Leaves the group (or declines an invitation); the last member leaving deletes it. With
   * {@code block}, the group can invite the person no more (their invitations are dropped like
   * an unknown invitee's) until they unblock it. A declined invitation, and a member leaving with
   * a block, count as refusals towards the group-spammer rule.
   */
  public Outcome leave(Connection c, String personId, String groupId, boolean block, Instant now) throws SQLException {
    Optional<GroupTable.Membership> m = GroupTable.membership(c, groupId, personId);
    if (m.isEmpty()) {
      return NOT_FOUND;
    }
    if (m.get().state() == GroupTable.State.BLOCKED) {
      return Outcome.ok(groupId, List.of(), List.of());
    }
    if (m.get().state() == GroupTable.State.INVITED || block) {
      GroupTable.answered(c, groupId, 1, 1, windowStart(now), now);
    }
    Optional<GroupTable.Group> g = GroupTable.find(c, groupId);
    List<StoredMessage> legs = drop(c, groupId, m.get(), " left the group", now);
    if (block && GroupTable.find(c, groupId).isPresent()) {
      GroupTable.block(c, groupId, personId, g.map(GroupTable.Group::name).orElse(""), now);
    }
    return Outcome.ok(groupId, List.of(), legs);
  }

  /** Lifts the person's block of a group; 404 when there is none. */
  public Outcome unblock(Connection c, String personId, String groupId) throws SQLException {
    Optional<GroupTable.Membership> m = GroupTable.membership(c, groupId, personId);
    if (m.isEmpty() || m.get().state() != GroupTable.State.BLOCKED) {
      return NOT_FOUND;
    }
    GroupTable.remove(c, groupId, personId);
    return Outcome.ok(groupId, List.of(), List.of());
  }

  /** An admin removes a member (named as the admin sees them: {@code @handle} or {@code ~relay}). */
  public Outcome remove(Connection c, String personId, String groupId, String shown, Instant now) throws SQLException {
    Optional<GroupTable.Membership> me = GroupTable.membership(c, groupId, personId);
    if (me.isEmpty() || me.get().state() != GroupTable.State.MEMBER) {
      return me.isEmpty() || me.get().state() == GroupTable.State.BLOCKED ? NOT_FOUND : NOT_A_MEMBER;
    }
    if (me.get().role() != GroupTable.Role.ADMIN) {
      return NOT_ADMIN;
    }
    Optional<String> who = shownAs(c, shown, PartyKey.person(personId));
    // members only: an invitation (or a block) is nobody's business — answering for one would
    // tell the admin whether an invitation was really sent
    Optional<GroupTable.Membership> them = who.isEmpty() ? Optional.empty() : GroupTable.membership(c, groupId, who.get())
        .filter(x -> x.state() == GroupTable.State.MEMBER);
    if (them.isEmpty()) {
      return Outcome.error(404, "not_found", "member: nobody of that name is in this group");
    }
    return Outcome.ok(groupId, List.of(), drop(c, groupId, them.get(), " was removed from the group", now));
  }

  /** Renames the group and/or sets its default timer (admins). */
  public Outcome update(Connection c, String personId, String groupId, String name, Optional<Long> timer, Instant now)
      throws SQLException {
    Optional<GroupTable.Group> g = GroupTable.find(c, groupId);
    Optional<GroupTable.Membership> me = GroupTable.membership(c, groupId, personId);
    if (g.isEmpty() || me.isEmpty() || me.get().state() == GroupTable.State.BLOCKED) {
      return NOT_FOUND;
    }
    if (me.get().state() != GroupTable.State.MEMBER) {
      return NOT_A_MEMBER;
    }
    if (me.get().role() != GroupTable.Role.ADMIN) {
      return NOT_ADMIN;
    }
    GroupTable.Group updated = new GroupTable.Group(groupId, name == null ? g.get().name() : name,
        timer == null ? g.get().timerSeconds() : timer.orElse(null));
    GroupTable.update(c, updated);
    List<StoredMessage> legs = new ArrayList<>();
    if (name != null && !name.equals(g.get().name())) {
      legs.addAll(announce(c, groupId, PartyKey.person(personId), " renamed the group to \"" + name + "\"", now));
    }
    if (timer != null && !java.util.Objects.equals(timer.orElse(null), g.get().timerSeconds())) {
      legs.addAll(announce(c, groupId, PartyKey.person(personId),
          timer.isEmpty() ? " turned disappearing messages off" : " set disappearing messages to " + timer.get() + " s",
          now));
    }
    return Outcome.ok(groupId, List.of(), legs);
  }

  /** Forget-me: the person leaves every group (announced as leaving) and every invitation goes. */
  public List<StoredMessage> forget(Connection c, String personId, Instant now) throws SQLException {
    List<StoredMessage> legs = new ArrayList<>();
    for (GroupTable.Membership m : GroupTable.ofPerson(c, personId)) {
      legs.addAll(drop(c, m.groupId(), m, " left the group", now));
    }
    return legs;
  }

  /**
   * Takes a membership or invitation away; the remaining members hear of a member's going; an
   * admin's going leaves the longest-standing member admin; a group without members is deleted.
   */
  private List<StoredMessage> drop(Connection c, String groupId, GroupTable.Membership m, String what, Instant now)
      throws SQLException {
    PartyKey who = PartyKey.person(m.personId());
    // the text names them before their handles go
    List<GroupTable.Membership> rest = new ArrayList<>();
    for (GroupTable.Membership x : GroupTable.members(c, groupId)) {
      if (!x.personId().equals(m.personId()) && x.state() == GroupTable.State.MEMBER) {
        rest.add(x);
      }
    }
    GroupTable.remove(c, groupId, m.personId());
    if (rest.isEmpty()) {
      GroupTable.delete(c, groupId);
      return List.of();
    }
    if (m.state() != GroupTable.State.MEMBER) {
      return List.of(); // a declined invitation is nobody's business
    }
    if (m.role() == GroupTable.Role.ADMIN && rest.stream().noneMatch(x -> x.role() == GroupTable.Role.ADMIN)) {
      GroupTable.Membership next = rest.get(0);
      GroupTable.put(c, new GroupTable.Membership(groupId, next.personId(), GroupTable.Role.ADMIN, next.state(), next.at()));
    }
    return announce(c, groupId, who, what, now);
  }

  private List<StoredMessage> announce(Connection c, String groupId, PartyKey about, String what, Instant now)
      throws SQLException {
    byte[] b = new byte[10];
    random.nextBytes(b);
    String gid = MessageTable.gidPrefix(now.toEpochMilli()) + HexFormat.of().formatHex(b);
    return fanOut.announce(c, groupId,
        viewer -> (viewer.equals(about) ? "You" : fanOut.appearance(c, about, viewer, now).value()) + what,
        gid, now.plus(maxAge), now);
  }

  private static long memberCount(Connection c, String groupId) throws SQLException {
    return GroupTable.members(c, groupId).stream().filter(x -> x.state() == GroupTable.State.MEMBER).count();
  }

  /** Whether the person is a member (not only invited). */
  public static boolean isMember(Connection c, String groupId, String personId) throws SQLException {
    return GroupTable.membership(c, groupId, personId).filter(m -> m.state() == GroupTable.State.MEMBER).isPresent();
  }

  /** How {@code member} appears to {@code viewer} in a group. */
  public Address appearance(Connection c, PartyKey member, PartyKey viewer, Instant now) throws SQLException {
    return fanOut.appearance(c, member, viewer, now);
  }

  /** {@code member}'s address of the group. */
  public Address address(Connection c, String groupId, PartyKey member, Instant now) throws SQLException {
    return fanOut.groupAddress(c, groupId, member, now);
  }

  /** The fan-out of members' messages. */
  public GroupFanOut fanOut() {
    return fanOut;
  }

  /** A person named as {@code viewer} sees them: {@code @handle}, or a relay handle shown to the viewer. */
  private Optional<String> shownAs(Connection c, String shown, PartyKey viewer) throws SQLException {
    if (!Address.isValid(shown)) {
      return Optional.empty();
    }
    Address a = Address.of(shown);
    if (a.kind() == Address.Kind.HANDLE) {
      return PeopleTable.personByHandle(c, a.value().substring(1));
    }
    if (a.kind() == Address.Kind.RELAY) {
      return relays.find(c, a).filter(r -> r.viewer().equals(viewer) && r.represents().isPerson())
          .map(r -> r.represents().personId());
    }
    return Optional.empty();
  }

  /** An invitee: a public {@code @handle} or a {@code network:account} address. */
  private static Optional<String> personOf(Connection c, String raw) throws SQLException {
    if (!Address.isValid(raw)) {
      return Optional.empty();
    }
    Address a = Address.of(raw);
    switch (a.kind()) {
      case HANDLE:
        return PeopleTable.personByHandle(c, a.value().substring(1));
      case ACCOUNT:
        return PeopleTable.personOf(c, a);
      default:
        return Optional.empty();
    }
  }

  private static Set<String> distinct(List<String> invitees) {
    return new LinkedHashSet<>(invitees);
  }

  /** Whether {@code name} can be a group's name (as a display name: 1-64 characters, no controls). */
  public static boolean validName(String name) {
    return Envelope.validName(name);
  }
}
