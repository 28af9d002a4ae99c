package io.parlor.core.groups;

import io.parlor.core.conversation.ReferenceResolver;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.core.linking.SystemMessages;
import io.parlor.core.routing.RelayTable;
import io.parlor.core.routing.Router;
import io.parlor.core.store.MessageRefs;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.IngressResult;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Fans a group message out (contract part 2, section 5): one accepted message becomes, in the
 * same transaction, one queued leg per other member — each to that member's preferred capable
 * account, each with its own retries, expiry and order per (group, member) — and a tally that
 * gives the sender's network one status when every leg ended. Each member sees the group as an
 * address of their own and the sender as they appear in this group. Runs on a store connection.
 */
public final class GroupFanOut {
  /** The network id of messages the node writes itself (membership changes). */
  public static final NetworkId SYSTEM_NETWORK = NetworkId.of("parlor");

  private final Router router;
  private final RelayTable relays;

  public GroupFanOut(Router router, RelayTable relays) {
    this.router = router;
    this.relays = relays;
  }

  /**
   * What fanning one message out gave: the legs queued (to hand to the scheduler after the
   * commit), or why the message was refused.
   */
  public record Result(
      IngressResult result, List<StoredMessage> legs, List<StoredMessage> removed, StatusReport status) {}

  /**
   * A member's message to the group, accepted (its dedupe key and legs inserted) or refused: 403
   * {@code not_a_member} for anyone who is not a member, the refusal every member's leg would
   * have when none can take it, else accepted — members whose route cannot take it count as
   * failed in the sender's status.
   */
  public Result fromMember(
      Connection c, NetworkId source, Envelope e, PartyKey sender, GroupTable.Group group, String gid, Instant deadline,
      Instant now) throws SQLException {
    String groupId = group.id();
    if (!sender.isPerson() || !Groups.isMember(c, groupId, sender.personId())) {
      return refused(NOT_A_MEMBER);
    }
    Content.Encrypted enc = e.content() instanceof Content.Encrypted x ? x : null;
    if (enc != null && !enc.isPerMember()) {
      return refused(IngressResult.Refused.of(IngressResult.Refused.INVALID_ENVELOPE,
          "content.perMember: an encrypted group message carries one ciphertext per member, keyed by their handles"));
    }
    // the sender as every member sees them: their display name; their public handle, else a
    // relay handle of each pair (minted per member below)
    Envelope presented = presented(c, e, sender);
    Address publicHandle = publicHandle(c, sender);
    List<StoredMessage> legs = new ArrayList<>();
    List<StoredMessage> removed = new ArrayList<>();
    int failed = 0;
    int unreadable = 0;
    IngressResult.Refused firstRefusal = null;
    for (GroupTable.Membership member : GroupTable.members(c, groupId)) {
      PartyKey to = PartyKey.person(member.personId());
      if (member.state() != GroupTable.State.MEMBER || to.equals(sender)) {
        continue;
      }
      Envelope own = e;
      if (enc != null) {
        // this member's own ciphertext, by their handle as the sender sees it; checked before
        // blocks, so that which ciphertexts a message needs never tells who blocked the sender
        Optional<byte[]> ct = enc.forMember(appearance(c, to, sender, now).value());
        own = ct.isEmpty() ? null : e.withContent(new Content.Encrypted(enc.scheme(), ct.get()));
        if (own == null || router.refusal(c, own, sender, to)
            .filter(r -> r.code().equals(IngressResult.Refused.ENCRYPTION_DOWNGRADE)).isPresent()) {
          unreadable++;
          continue;
        }
      }
      if (PeopleTable.blocked(c, member.personId(), sender)) {
        failed++;
        continue;
      }
      Optional<IngressResult.Refused> refusal = router.refusal(c, own, sender, to);
      ReferenceResolver.References refs = refusal.isPresent() ? null : ReferenceResolver.forMessage(c, source, own, sender, to, groupId);
      if (refusal.isEmpty() && refs.refusal() != null) {
        refusal = Optional.of(refs.refusal());
      }
      if (refusal.isPresent()) {
        firstRefusal = firstRefusal == null ? refusal.get() : firstRefusal;
        failed++;
        continue;
      }
      if (refs.queuedTarget() != null) {
        MessageTable.takeBack(c, refs.queuedTarget().gid());
        removed.add(refs.queuedTarget());
      }
      Address from = publicHandle != null ? publicHandle : relays.handleFor(c, sender, to, relays.shown(c, sender, to), now);
      Address address = groupAddress(c, groupId, to, now);
      String legGid = legGid(gid, to);
      Envelope leg = presented
          .withContent(own.content())
          .withFrom(from)
          .withTo(address)
          .withGroup(new Envelope.Group(address, group.name()))
          .withId(MessageId.of(legGid))
          .withReplyTo(null)
          .withExpiresAt(io.parlor.core.ingress.Ingress.expiresAt(e, now));
      legs.add(new StoredMessage(legGid, 0, source, e.id(), conversation(groupId, to), sender, to, leg,
          deadline, refs.refs()));
    }
    if (unreadable > 0) {
      // never a partial plaintext leg, nor a partial encrypted message: the sender fixes it whole
      return refused(IngressResult.Refused.of(IngressResult.Refused.ENCRYPTION_DOWNGRADE,
          unreadable + (unreadable == 1 ? " member" : " members")
              + " cannot read this message: no ciphertext for them in content.perMember, or no route carries the scheme")
          .withMembers(unreadable));
    }
    if (legs.isEmpty() && firstRefusal != null) {
      return refused(firstRefusal);
    }
    MessageTable.remember(c, source, e.id(), now);
    List<StoredMessage> stored = new ArrayList<>();
    for (StoredMessage leg : legs) {
      stored.add(MessageTable.insertLeg(c, leg, now));
    }
    StatusReport status = null;
    if (stored.isEmpty()) {
      // nobody else to reach (alone in the group, or every member's route refused): ended now
      status = GroupLegs.report(e.id(), new GroupTable.Tally(0, failed, 0), now);
    } else {
      GroupTable.startTally(c, source.value(), e.id().value(), groupId, stored.size(), failed);
    }
    return new Result(new IngressResult.Accepted(gid), stored, removed, status);
  }

  /** The text a member sees for a membership change, given who they are. */
  @FunctionalInterface
  public interface TextFor {
    String text(PartyKey viewer) throws SQLException;
  }

  /**
   * A message from the node itself ({@code @parlor}, {@code "system": true}) to every member (a
   * membership change), queued like a member's message but without a tally: nobody waits for its
   * status.
   */
  public List<StoredMessage> announce(Connection c, String groupId, TextFor text, String gid, Instant deadline, Instant now)
      throws SQLException {
    Optional<GroupTable.Group> group = GroupTable.find(c, groupId);
    List<StoredMessage> out = new ArrayList<>();
    if (group.isEmpty()) {
      return out;
    }
    PartyKey self = PartyKey.group(groupId);
    for (GroupTable.Membership member : GroupTable.members(c, groupId)) {
      if (member.state() != GroupTable.State.MEMBER) {
        continue;
      }
      PartyKey to = PartyKey.person(member.personId());
      Address address = groupAddress(c, groupId, to, now);
      String legGid = legGid(gid, to);
      Envelope e = new Envelope(MessageId.of(legGid), SystemMessages.SYSTEM, address, now,
          new Content.Text(text.text(to)), null, null, deadline, false, null,
          new Envelope.Group(address, group.get().name()), true);
      out.add(MessageTable.insertLeg(c, new StoredMessage(legGid, 0, SYSTEM_NETWORK, MessageId.of(gid),
          conversation(groupId, to), self, to, e, deadline, MessageRefs.NONE), now));
    }
    return out;
  }

  /** How {@code sender} appears in a group to {@code viewer}: their public handle, else a relay handle of this pair. */
  public Address appearance(Connection c, PartyKey sender, PartyKey viewer, Instant now) throws SQLException {
    return appearance(c, relays, sender, viewer, now);
  }

  /** As {@link #appearance(Connection, PartyKey, PartyKey, Instant)}, with the relay table to mint from. */
  public static Address appearance(Connection c, RelayTable relays, PartyKey sender, PartyKey viewer, Instant now)
      throws SQLException {
    Address handle = publicHandle(c, sender);
    return handle != null ? handle : relays.handleFor(c, sender, viewer, relays.shown(c, sender, viewer), now);
  }

  /** {@code @handle} of a person who published one, else null. */
  private static Address publicHandle(Connection c, PartyKey party) throws SQLException {
    if (!party.isPerson()) {
      return null;
    }
    Optional<Person> p = PeopleTable.find(c, party.personId());
    return p.isPresent() && p.get().handle() != null ? Address.of("@" + p.get().handle()) : null;
  }

  /** {@code member}'s address of the group: a relay handle of their own, minted when first needed. */
  public Address groupAddress(Connection c, String groupId, PartyKey member, Instant now) throws SQLException {
    PartyKey g = PartyKey.group(groupId);
    return relays.handleFor(c, g, member, relays.shown(c, g, member), now);
  }

  /** The display name the sender chose, if any (their handle is decided by {@link #appearance}). */
  private static Envelope presented(Connection c, Envelope e, PartyKey sender) throws SQLException {
    if (!sender.isPerson()) {
      return e.withFromName(null);
    }
    return e.withFromName(PeopleTable.find(c, sender.personId()).map(p -> p.conversation().displayName()).orElse(null));
  }

  /** Order is kept per (group, member). */
  static String conversation(String groupId, PartyKey member) {
    return "group:" + groupId + " " + member.value();
  }

  /**
   * A leg's gateway id: the message's time prefix (so legs sort and purge with it) and 20 hex
   * digits of SHA-256(message id, member) — as unguessable as the message's own, and the same
   * after a crash, so the destination's idempotency key holds.
   */
  public static String legGid(String gid, PartyKey member) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(gid.getBytes(StandardCharsets.UTF_8));
      d.update((byte) 0);
      d.update(member.value().getBytes(StandardCharsets.UTF_8));
      String prefix = gid.substring(0, MessageTable.gidPrefix(0).length());
      return prefix + HexFormat.of().formatHex(d.digest(), 0, 10);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Anyone writing to a group address who is not (or no longer) a member of its group. */
  public static final IngressResult.Refused NOT_A_MEMBER =
      IngressResult.Refused.of(IngressResult.Refused.NOT_A_MEMBER, "to: you are not a member of this group");

  private static Result refused(IngressResult.Refused r) {
    return new Result(r, List.of(), List.of(), null);
  }

}
