package io.parlor.core.routing;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.core.linking.ReachableBy;
import io.parlor.spi.IngressResult;
import io.parlor.spi.SenderPresentation;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Decides where messages go. Thread-safe (stateless besides the registry); its methods run on a
 * store connection handed in by the caller.
 *
 * <p>At ingress: recipient address → party (a person through linked accounts, or the party behind
 * a relay handle) → refuse unless reachable; every refusal of an unknown, not-opted-in or
 * not-accepting recipient is the same {@code recipient_unreachable}. At delivery: party → the
 * person's preferred account whose network is healthy and can carry the content, else the next
 * one in their fallback order.
 */
public final class Router {
  private final NetworkRegistry networks;
  private final RelayTable relays;
  private final java.util.Set<String> deniedRegions;

  public Router(NetworkRegistry networks, RelayTable relays, java.util.Set<String> deniedRegions) {
    this.networks = networks;
    this.relays = relays;
    this.deniedRegions = java.util.Set.copyOf(deniedRegions);
  }

  /** The configured networks. */
  public NetworkRegistry networks() {
    return networks;
  }

  /** The ingress decision. */
  public sealed interface Decision {}

  /**
   * Deliverable: to {@code recipient}; {@code sender} is who replies to the relay reach; {@code
   * content}, when not null, replaces the message's content (an {@code @handle } prefix removed).
   */
  public record Accept(PartyKey sender, PartyKey recipient, Content content) implements Decision {}

  /**
   * To a group, through {@code sender}'s own group address: the caller checks membership and fans
   * the message out to the other members.
   */
  public record GroupAccept(PartyKey sender, String groupId) implements Decision {}

  /** Not deliverable. */
  public record Refuse(IngressResult.Refused refusal) implements Decision {}

  /**
   * Not a message: {@code STOP} or {@code BLOCK} sent to a pool number or a single identity, by a
   * person, blocks {@code target} — the party that number (or the message answered) stands for in
   * front of them ({@code shown}: what they see of it, the pool number; null on a single identity,
   * where it is the relay handle of the pair, one of its own for each blocked party). {@code
   * REPORT} does the same and reports the sender ({@code report}); {@code answered} is the message
   * the reply answered, when the network's reply context named one.
   */
  public record BlockByReply(String personId, PartyKey target, String shown, boolean report,
      ReferenceTable.Leg answered) implements Decision {}

  /** The words that block by reply (a whole message, any case); {@code report} also reports. */
  private static final java.util.regex.Pattern BLOCK_WORDS =
      java.util.regex.Pattern.compile("\\s*(?i:stop|block|(report))\\s*[.!]?\\s*");

  /** Whether {@code e} is a block by reply, and whether it also reports: null when it is neither. */
  private static Boolean blockWords(Envelope e) {
    if (!(e.content() instanceof Content.Text t) || t.text().length() >= 32) {
      return null;
    }
    java.util.regex.Matcher m = BLOCK_WORDS.matcher(t.text());
    return m.matches() ? m.group(1) != null : null;
  }

  /** A chosen account for one delivery attempt. */
  public record Target(Network network, Address account) {}

  private static final java.util.regex.Pattern HANDLE_PREFIX =
      java.util.regex.Pattern.compile("@([a-z0-9_.]{1,32})\\s+");

  private static final Refuse UNREACHABLE =
      new Refuse(IngressResult.Refused.of(IngressResult.Refused.RECIPIENT_UNREACHABLE, "recipient is not reachable"));

  /**
   * Whether {@code to} is one of the gateway's pool numbers (number masking), which stands for a
   * counterpart in front of whoever writes to it.
   */
  public boolean poolNumber(Address to) {
    Optional<Network> net = to.network().flatMap(networks::get);
    return net.isPresent() && net.get().adapter().senderPresentation() instanceof SenderPresentation.NumberPool pool
        && pool.pool().contains(to);
  }

  /** Decides whether {@code e}, sent by account {@code e.from()}, can be accepted. */
  public Decision decide(Connection c, Envelope e) throws SQLException {
    PartyKey sender = partyOf(c, e.from());
    PartyKey recipient;
    switch (e.to().kind()) {
      case RELAY:
        Optional<RelayTable.Relay> relay = relays.find(c, e.to());
        if (relay.isEmpty() || !relay.get().viewer().equals(sender)) {
          return UNREACHABLE;
        }
        recipient = relay.get().represents();
        if (recipient.isGroup()) {
          return new GroupAccept(sender, recipient.groupId());
        }
        if (!exists(c, recipient) || blocks(c, recipient, sender)) {
          return UNREACHABLE;
        }
        break;
      case ACCOUNT:
        Optional<Decision> viaGateway = viaGatewayAddress(c, e, sender);
        if (viaGateway.isPresent()) {
          return viaGateway.get();
        }
        return reachable(c, e, sender, PeopleTable.personOf(c, e.to()), null);
      case HANDLE:
      default:
        return reachable(c, e, sender, PeopleTable.personByHandle(c, e.to().value().substring(1)), null);
    }
    if (recipient.equals(sender)) {
      return UNREACHABLE;
    }
    return new Accept(sender, recipient, null);
  }

  /**
   * Whether {@code sender} may reach person {@code personId} at all (opted in, accepts this
   * sender, no block): what a group invitation needs.
   */
  public boolean reachable(Connection c, String personId, PartyKey sender) throws SQLException {
    Optional<Person> person = PeopleTable.find(c, personId);
    return person.isPresent() && person.get().optIn() && accepts(c, person.get(), sender)
        && !person.get().key().equals(sender) && !PeopleTable.blocked(c, person.get().id(), sender);
  }

  /** A first message to a person: only if they opted in and accept this sender. */
  private Decision reachable(Connection c, Envelope e, PartyKey sender, Optional<String> personId, Content content)
      throws SQLException {
    if (personId.isEmpty() || !reachable(c, personId.get(), sender)) {
      return UNREACHABLE;
    }
    return new Accept(sender, PartyKey.person(personId.get()), content);
  }

  /**
   * Messages addressed to one of the gateway's own accounts on a network that cannot show relay
   * handles: a pool number (number masking) or the network's single business identity (reply
   * context, else the sender's most recent conversation there).
   */
  private Optional<Decision> viaGatewayAddress(Connection c, Envelope e, PartyKey sender) throws SQLException {
    Optional<Network> net = e.to().network().flatMap(networks::get);
    if (net.isEmpty()) {
      return Optional.empty();
    }
    SenderPresentation p = net.get().adapter().senderPresentation();
    Optional<PartyKey> target;
    if (p instanceof SenderPresentation.NumberPool pool && pool.pool().contains(e.to())) {
      target = ReplyTable.poolTarget(c, net.get().id(), sender, e.to());
      Boolean report = blockWords(e);
      if (report != null) {
        return Optional.of(blockByReply(c, sender, target, e.to().value(), report, null));
      }
    } else if (p instanceof SenderPresentation.SingleIdentity si && si.self().equals(e.to())) {
      Boolean report = blockWords(e);
      if (report != null) {
        // the message answered, else the most recent conversation: as a reply would go
        Optional<PartyKey> about = Optional.empty();
        ReferenceTable.Leg answeredLeg = null;
        Optional<io.parlor.spi.envelope.MessageId> answered = e.replyToOpt().or(() -> e.content().targetOpt());
        if (answered.isPresent()) {
          // the message answered decides, or nothing does: never someone else instead (a reply to
          // a message of a group, or to one Parlor does not know, blocks nobody)
          Optional<ReferenceTable.Leg> leg = ReferenceTable.received(c, net.get().id(), answered.get().value(), sender);
          if (leg.isEmpty() || leg.get().groupId() != null) {
            return Optional.of(UNREACHABLE);
          }
          about = leg.map(ReferenceTable.Leg::represents);
          answeredLeg = leg.get();
        } else {
          about = ReplyTable.recent(c, net.get().id(), sender);
          if (about.isEmpty()) {
            about = ReplyTable.recentAnywhere(c, sender);
          }
        }
        // shown as the relay handle of the pair (the caller's: it may have to make one)
        return Optional.of(blockByReply(c, sender, about, null, report, answeredLeg));
      }
      if (e.content() instanceof Content.Text t && HANDLE_PREFIX.matcher(t.text()).lookingAt()) {
        // "@handle text" starts a conversation with a public handle explicitly
        var m = HANDLE_PREFIX.matcher(t.text());
        m.lookingAt();
        String rest = t.text().substring(m.end());
        if (rest.isEmpty()) {
          return Optional.of(UNREACHABLE);
        }
        return Optional.of(reachable(c, e, sender, PeopleTable.personByHandle(c, m.group(1)), new Content.Text(rest)));
      }
      target = Optional.empty();
      // the platform's reply context: the message answered or reacted to, if this sender got it
      Optional<io.parlor.spi.envelope.MessageId> ref =
          e.replyToOpt().or(() -> e.content().targetOpt());
      if (ref.isPresent()) {
        Optional<ReferenceTable.Leg> leg = ReferenceTable.received(c, net.get().id(), ref.get().value(), sender);
        if (leg.isPresent() && leg.get().groupId() != null) {
          // the message answered was a group's: the reply goes to the group
          return Optional.of(new GroupAccept(sender, leg.get().groupId()));
        }
        target = leg.map(ReferenceTable.Leg::represents);
      }
      if (target.isEmpty()) {
        target = ReplyTable.recent(c, net.get().id(), sender);
      }
      if (target.isEmpty()) {
        // answered from another linked account: continue the person's most recent conversation
        target = ReplyTable.recentAnywhere(c, sender);
      }
    } else {
      return Optional.empty();
    }
    if (target.isPresent() && target.get().isGroup()) {
      // the most recent conversation of this sender on a single-identity network was a group's
      return Optional.of(new GroupAccept(sender, target.get().groupId()));
    }
    if (target.isEmpty() || !exists(c, target.get()) || target.get().equals(sender)
        || blocks(c, target.get(), sender)) {
      return Optional.of(UNREACHABLE);
    }
    return Optional.of(new Accept(sender, target.get(), null));
  }

  /**
   * {@code STOP}/{@code BLOCK} by reply: a person blocks the party behind what they answered; anyone
   * else, or an answer to nobody (or to a group: leave it to block it), is told nothing more than
   * an unroutable message is.
   */
  private Decision blockByReply(Connection c, PartyKey sender, Optional<PartyKey> target, String shown,
      boolean report, ReferenceTable.Leg answered) throws SQLException {
    if (!sender.isPerson() || target.isEmpty() || target.get().isGroup() || target.get().equals(sender)) {
      return UNREACHABLE;
    }
    return new BlockByReply(sender.personId(), target.get(), shown, report, answered);
  }

  /**
   * The party {@code to} stands for in front of {@code sender}, without the checks a message
   * needs (events check that a conversation exists): the party behind a relay handle shown to
   * {@code sender}, behind a pool number, a single identity's most recent conversation, a person's
   * account or public handle.
   */
  public Optional<PartyKey> counterpart(Connection c, PartyKey sender, Address to) throws SQLException {
    switch (to.kind()) {
      case RELAY:
        // a group address stands for the group (the caller checks membership)
        return relays.find(c, to).filter(r -> r.viewer().equals(sender)).map(RelayTable.Relay::represents);
      case HANDLE:
        return PeopleTable.personByHandle(c, to.value().substring(1)).map(PartyKey::person);
      case ACCOUNT:
      default:
        Optional<Network> net = to.network().flatMap(networks::get);
        if (net.isPresent()) {
          SenderPresentation p = net.get().adapter().senderPresentation();
          if (p instanceof SenderPresentation.NumberPool pool && pool.pool().contains(to)) {
            return ReplyTable.poolTarget(c, net.get().id(), sender, to);
          }
          if (p instanceof SenderPresentation.SingleIdentity si && si.self().equals(to)) {
            Optional<PartyKey> recent = ReplyTable.recent(c, net.get().id(), sender);
            return (recent.isPresent() ? recent : ReplyTable.recentAnywhere(c, sender)).filter(x -> !x.isGroup());
          }
        }
        return PeopleTable.personOf(c, to).map(PartyKey::person);
    }
  }

  /** Whether the two parties have a conversation: either has a relay handle in front of the other. */
  public boolean talking(Connection c, PartyKey a, PartyKey b) throws SQLException {
    return relays.exists(c, a, b) || relays.exists(c, b, a);
  }

  /** Whether {@code recipient} (a person) blocked {@code sender}. */
  public static boolean blocked(Connection c, PartyKey recipient, PartyKey sender) throws SQLException {
    return blocks(c, recipient, sender);
  }

  /**
   * Where {@code party} is reached now: their first account whose network is healthy and allowed
   * by the residency policy, else the first allowed one.
   */
  public Optional<Target> currentAccount(Connection c, PartyKey party) throws SQLException {
    Target first = null;
    for (Address a : accountsOf(c, party)) {
      Optional<Network> n = a.network().flatMap(networks::get);
      if (n.isEmpty() || deniedRegions.contains(n.get().region())) {
        continue;
      }
      Target t = new Target(n.get(), a);
      if (n.get().healthy()) {
        return Optional.of(t);
      }
      first = first == null ? t : first;
    }
    return Optional.ofNullable(first);
  }

  private static boolean blocks(Connection c, PartyKey recipient, PartyKey sender) throws SQLException {
    return recipient.isPerson() && PeopleTable.blocked(c, recipient.personId(), sender);
  }

  private static boolean exists(Connection c, PartyKey party) throws SQLException {
    return !party.isPerson() || PeopleTable.find(c, party.personId()).isPresent();
  }

  private boolean accepts(Connection c, Person p, PartyKey sender) throws SQLException {
    if (p.reachableBy() == ReachableBy.EVERYONE) {
      return true;
    }
    if (p.reachableBy() == ReachableBy.CONTACTED) {
      return relays.exists(c, p.key(), sender);
    }
    return false;
  }

  /** The party of a sending account: its person if linked, else the bare account. */
  public PartyKey partyOf(Connection c, Address account) throws SQLException {
    Optional<String> personId = PeopleTable.personOf(c, account);
    return personId.map(PartyKey::person).orElseGet(() -> PartyKey.address(account));
  }

  private static List<Address> accountsOf(Connection c, PartyKey party) throws SQLException {
    return party.isPerson() ? PeopleTable.accounts(c, party.personId()) : List.of(party.address());
  }

  /** Why an account cannot take a message; NONE when it can. */
  enum Exclusion {
    NONE(null),
    NO_NETWORK(IngressResult.Refused.RECIPIENT_UNREACHABLE),
    TOO_LONG(IngressResult.Refused.TOO_LONG),
    SCHEME(IngressResult.Refused.ENCRYPTION_DOWNGRADE),
    DOWNGRADE(IngressResult.Refused.ENCRYPTION_DOWNGRADE),
    RESIDENCY(IngressResult.Refused.RESIDENCY_DENIED),
    TIMER(IngressResult.Refused.TIMER_UNSUPPORTED);

    final String code;

    Exclusion(String code) {
      this.code = code;
    }
  }

  /** What the router needs to know to place one message. */
  private record Placement(Envelope envelope, PartyKey recipient, boolean threadE2ee, boolean plaintextOk) {}

  /** @param threadE2ee the thread's flag when the caller read it already ({@link ThreadTable}); null: read it */
  private Placement placement(Connection c, Envelope e, PartyKey sender, PartyKey recipient, Boolean threadE2ee)
      throws SQLException {
    boolean e2ee = e.content() instanceof Content.Encrypted
        || (threadE2ee != null ? threadE2ee : ThreadTable.e2ee(c, ThreadTable.key(sender, recipient)));
    boolean plaintextOk =
        recipient.isPerson()
            && PeopleTable.find(c, recipient.personId()).map(Person::allowPlaintextFallback).orElse(false);
    return new Placement(e, recipient, e2ee, plaintextOk);
  }

  /**
   * Whether any of the recipient's accounts can take {@code e} without weakening it; the refusal
   * names the reason for their preferred account.
   */
  public Optional<IngressResult.Refused> refusal(Connection c, Envelope e, PartyKey sender, PartyKey recipient)
      throws SQLException {
    return refusal(c, e, sender, recipient, null);
  }

  /**
   * As {@link #refusal(Connection, Envelope, PartyKey, PartyKey)}, with the thread's {@link
   * ThreadTable#e2ee} flag when the caller read it already (null: it is read here).
   */
  public Optional<IngressResult.Refused> refusal(
      Connection c, Envelope e, PartyKey sender, PartyKey recipient, Boolean threadE2ee) throws SQLException {
    Placement p = placement(c, e, sender, recipient, threadE2ee);
    Exclusion first = null;
    for (Address a : accountsOf(c, recipient)) {
      Exclusion x = check(a, p);
      if (x == Exclusion.NONE) {
        return Optional.empty();
      }
      first = first == null ? x : first;
    }
    Exclusion why = first == null ? Exclusion.NO_NETWORK : first;
    return Optional.of(IngressResult.Refused.of(why.code, message(why)));
  }

  private static String message(Exclusion x) {
    switch (x) {
      case SCHEME:
      case DOWNGRADE:
        return "no route can carry this message without weakening its end-to-end encryption";
      case RESIDENCY:
        return "the recipient's networks store data in a region the policy denies";
      case TIMER:
        return "the recipient's networks cannot honour this message's disappearing timer";
      case TOO_LONG:
        return "the message is longer than the recipient's network accepts";
      default:
        return "recipient is not reachable";
    }
  }

  /** A route for one delivery attempt, or why there is none. */
  public record Choice(Target target, String reason) {}

  /**
   * The account to try now: the first in preference order that can take the message (see {@link
   * #refusal}) and whose network is healthy; if none is healthy, the first that can take it (the
   * retry policy waits for it). Without a target, {@code reason} says why.
   */
  public Choice choose(Connection c, PartyKey sender, PartyKey recipient, Envelope e) throws SQLException {
    return choose(c, sender, recipient, e, java.util.Set.of());
  }

  /**
   * As {@link #choose(Connection, PartyKey, PartyKey, Envelope)}, skipping {@code excluded}
   * accounts (those that failed permanently for this message).
   */
  public Choice choose(Connection c, PartyKey sender, PartyKey recipient, Envelope e, java.util.Set<Address> excluded)
      throws SQLException {
    return choose(c, sender, recipient, e, excluded, null);
  }

  /**
   * As {@link #choose(Connection, PartyKey, PartyKey, Envelope, java.util.Set)}, with the thread's
   * {@link ThreadTable#e2ee} flag when the caller read it already (null: it is read here).
   */
  public Choice choose(Connection c, PartyKey sender, PartyKey recipient, Envelope e, java.util.Set<Address> excluded,
      Boolean threadE2ee) throws SQLException {
    Placement p = placement(c, e, sender, recipient, threadE2ee);
    Target firstCapable = null;
    Exclusion first = null;
    for (Address a : accountsOf(c, recipient)) {
      if (excluded.contains(a)) {
        continue;
      }
      Exclusion x = check(a, p);
      if (x != Exclusion.NONE) {
        first = first == null ? x : first;
        continue;
      }
      Network n = networks.get(a.network().orElseThrow()).orElseThrow();
      Target t = new Target(n, a);
      if (n.healthy()) {
        return new Choice(t, null);
      }
      if (firstCapable == null) {
        firstCapable = t;
      }
    }
    if (firstCapable != null) {
      return new Choice(firstCapable, null);
    }
    return new Choice(null, (first == null ? Exclusion.NO_NETWORK : first).code);
  }

  /**
   * The envelope as {@code network} should get it: its timer rounded down to a duration the
   * network offers (never up), or dropped where the recipient accepted a network without timers.
   */
  public static Envelope adapt(Envelope e, Network network) {
    if (e.timer() == null) {
      return e;
    }
    Optional<Long> t = network.adapter().capabilities().timerAtMost(e.timer().seconds());
    if (t.isEmpty()) {
      return e.withTimer(null);
    }
    return t.get() == e.timer().seconds() ? e : e.withTimer(new io.parlor.spi.envelope.Timer(t.get(), e.timer().start()));
  }

  /** The text a length limit applies to: a text, an edit's new text, a caption. */
  private static String textOf(Content content) {
    if (content instanceof Content.Text t) {
      return t.text();
    }
    if (content instanceof Content.Edit ed) {
      return ed.text();
    }
    if (content instanceof Content.Media m) {
      return m.caption();
    }
    return null;
  }

  private Exclusion check(Address account, Placement p) {
    Optional<Network> n = account.network().flatMap(networks::get);
    if (n.isEmpty()) {
      return Exclusion.NO_NETWORK;
    }
    if (deniedRegions.contains(n.get().region())) {
      return Exclusion.RESIDENCY;
    }
    var caps = n.get().adapter().capabilities();
    Content content = p.envelope().content();
    if (content instanceof Content.Encrypted enc) {
      if (!caps.supportsScheme(enc.scheme())) {
        return Exclusion.SCHEME;
      }
    } else {
      if (content instanceof Content.Media m && m.encryption() != null
          && !caps.shows(io.parlor.spi.envelope.ContentKind.MEDIA)) {
        return Exclusion.SCHEME; // encrypted media has no text fallback: its key would travel in clear
      }
      String text = textOf(content);
      if (text != null && text.codePointCount(0, text.length()) > caps.maxTextLength()) {
        return Exclusion.TOO_LONG;
      }
      if (p.threadE2ee() && caps.plaintextOnly() && !(p.envelope().plaintextFallback() && p.plaintextOk())) {
        return Exclusion.DOWNGRADE;
      }
    }
    if (p.envelope().timer() != null
        && caps.timerAtMost(p.envelope().timer().seconds()).isEmpty()
        && !p.plaintextOk()) {
      return Exclusion.TIMER;
    }
    return Exclusion.NONE;
  }
}
