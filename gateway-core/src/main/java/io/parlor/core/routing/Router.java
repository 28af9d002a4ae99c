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

  public Router(NetworkRegistry networks, RelayTable relays) {
    this.networks = networks;
    this.relays = relays;
  }

  /** The ingress decision. */
  public sealed interface Decision {}

  /**
   * Deliverable: to {@code recipient}; {@code sender} is who replies to the relay reach; {@code
   * content}, when not null, replaces the message's content (an {@code @handle } prefix removed).
   */
  public record Accept(PartyKey sender, PartyKey recipient, Content content) implements Decision {}

  /** Not deliverable. */
  public record Refuse(IngressResult.Refused refusal) implements Decision {}

  /** A chosen account for one delivery attempt. */
  public record Target(Network network, Address account) {}

  private static final java.util.regex.Pattern HANDLE_PREFIX =
      java.util.regex.Pattern.compile("@([a-z0-9_.]{1,32})\\s+");

  private static final Refuse UNREACHABLE =
      new Refuse(IngressResult.Refused.of(IngressResult.Refused.RECIPIENT_UNREACHABLE, "recipient is not reachable"));

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
    return capable(c, e, sender, recipient, null);
  }

  /** A first message to a person: only if they opted in and accept this sender. */
  private Decision reachable(Connection c, Envelope e, PartyKey sender, Optional<String> personId, Content content)
      throws SQLException {
    if (personId.isEmpty()) {
      return UNREACHABLE;
    }
    Optional<Person> person = PeopleTable.find(c, personId.get());
    if (person.isEmpty() || !person.get().optIn() || !accepts(c, person.get(), sender)
        || person.get().key().equals(sender) || PeopleTable.blocked(c, person.get().id(), sender)) {
      return UNREACHABLE;
    }
    return capable(c, e, sender, person.get().key(), content);
  }

  private Decision capable(Connection c, Envelope e, PartyKey sender, PartyKey recipient, Content content)
      throws SQLException {
    List<Address> accounts = accountsOf(c, recipient);
    if (accounts.stream().noneMatch(a -> canCarry(a, e.content()))) {
      if (e.content() instanceof Content.Encrypted) {
        return new Refuse(
            IngressResult.Refused.of(
                IngressResult.Refused.ENCRYPTION_DOWNGRADE,
                "no route can carry this encryption scheme without weakening it"));
      }
      return UNREACHABLE;
    }
    return new Accept(sender, recipient, content);
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
    } else if (p instanceof SenderPresentation.SingleIdentity si && si.self().equals(e.to())) {
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
      if (e.replyTo() != null) {
        target = ReplyTable.ref(c, net.get().id(), e.replyTo().value(), sender).map(ReplyTable.Ref::represents);
      }
      if (target.isEmpty()) {
        target = ReplyTable.recent(c, net.get().id(), sender);
      }
    } else {
      return Optional.empty();
    }
    if (target.isEmpty() || !exists(c, target.get()) || target.get().equals(sender)
        || blocks(c, target.get(), sender)) {
      return Optional.of(UNREACHABLE);
    }
    return Optional.of(capable(c, e, sender, target.get(), null));
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

  /**
   * The account to try now: the first in preference order whose network is healthy and can carry
   * the content; if none is healthy, the first that can carry it (the retry policy waits for it).
   * Empty when no account can carry the content (or the party is gone).
   */
  public Optional<Target> choose(Connection c, PartyKey recipient, Content content) throws SQLException {
    List<Address> accounts = accountsOf(c, recipient);
    Target firstCapable = null;
    for (Address a : accounts) {
      if (!canCarry(a, content)) {
        continue;
      }
      Network n = networks.get(a.network().orElseThrow()).orElseThrow();
      Target t = new Target(n, a);
      if (n.healthy()) {
        return Optional.of(t);
      }
      if (firstCapable == null) {
        firstCapable = t;
      }
    }
    return Optional.ofNullable(firstCapable);
  }

  private boolean canCarry(Address account, Content content) {
    Optional<Network> n = account.network().flatMap(networks::get);
    if (n.isEmpty()) {
      return false;
    }
    if (content instanceof Content.Encrypted enc) {
      return n.get().adapter().capabilities().supportsScheme(enc.scheme());
    }
    Content.Text t = (Content.Text) content;
    return t.text().codePointCount(0, t.text().length()) <= n.get().adapter().capabilities().maxTextLength();
  }
}
