package io.parlor.core.conversation;

import io.parlor.core.groups.GroupFanOut;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.core.linking.SystemMessages;
import io.parlor.core.routing.RelayTable;
import io.parlor.core.routing.Router;
import io.parlor.core.routing.ThreadTable;
import io.parlor.core.store.MessageRefs;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.Store;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.EventResult;
import io.parlor.spi.InboundSink;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.envelope.MessageId;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A one-to-one thread's disappearing-messages timer (privacy rule 2). Each side has a setting:
 * what they set with a {@code timer} event (off included), else the shorter of their preference
 * for new threads ({@code defaultTimerSeconds}) and the operator's {@code
 * policy.defaultThreadTimer} when the thread was made. The thread's timer is the shorter of the
 * two sides' — either side can make messages disappear sooner, neither can keep them longer than
 * the other wants, and the operator's default never lengthens a person's own. Every new message of the thread then disappears that long
 * after it was sent at the latest (a message's own timer may be shorter); a change is announced to
 * both sides as a system message in the conversation. Thread-safe; never blocks.
 */
public final class ThreadTimers {
  /** Construction parameters; {@code defaultTimer} is the operator's default for new threads. */
  public record Deps(
      Store store, Router router, RelayTable relays, Consumer<StoredMessage> enqueue, Clock clock,
      Duration maxAge, SecureRandom random, Optional<Duration> defaultTimer) {}

  private final Deps d;
  private final Long defaultSeconds;

  public ThreadTimers(Deps deps) {
    this.d = deps;
    this.defaultSeconds = deps.defaultTimer().map(Duration::toSeconds).orElse(null);
  }

  /** The operator's default timer for new threads, in seconds; null for none. */
  public Long defaultSeconds() {
    return defaultSeconds;
  }

  /** The timer of the thread between {@code a} and {@code b}, in seconds; null when it has none. */
  public Long timer(Connection c, PartyKey a, PartyKey b) throws SQLException {
    return timer(c, a, b, ThreadTable.timers(c, a, b, defaultSeconds));
  }

  /** As {@link #timer(Connection, PartyKey, PartyKey)}, from the thread's row {@code t} read already. */
  public Long timer(Connection c, PartyKey a, PartyKey b, ThreadTable.Timers t) throws SQLException {
    Long best = null;
    for (PartyKey p : new PartyKey[] {a, b}) {
      Long set = t.of(p, a, b);
      Long choice = set != null ? (set == 0 ? null : set) : shorter(personDefault(c, p), t.threadDefault());
      if (choice != null && (best == null || choice < best)) {
        best = choice;
      }
    }
    return best;
  }

  private static Long shorter(Long x, Long y) {
    if (x == null) {
      return y;
    }
    if (y == null) {
      return x;
    }
    return Long.valueOf(Math.min(x, y));
  }

  private static Long personDefault(Connection c, PartyKey p) throws SQLException {
    return p.isPerson() ? PeopleTable.find(c, p.personId()).map(Person::defaultTimerSeconds).orElse(null) : null;
  }

  // --- the timer event ---------------------------------------------------------------------------

  private record Change(EventResult result, List<StoredMessage> announcements) {}

  private static final EventResult NO_CONVERSATION =
      EventResult.refused(EventResult.RECIPIENT_UNREACHABLE, "to: no conversation with this address");

  /** {@code e.from()} sets their timer in the conversation with {@code e.to()}. */
  CompletionStage<EventResult> set(Event.Timer e) {
    return d.store()
        .write(c -> change(c, e))
        .handle(
            (ch, err) -> {
              if (err != null) {
                throw new InboundSink.StoreUnavailableException("the timer could not be recorded", err);
              }
              ch.announcements().forEach(d.enqueue());
              return ch.result();
            });
  }

  private Change change(Connection c, Event.Timer e) throws SQLException {
    PartyKey setter = d.router().partyOf(c, e.from());
    Optional<PartyKey> other = d.router().counterpart(c, setter, e.to());
    if (other.isEmpty() || other.get().isGroup() || other.get().equals(setter)
        || !d.router().talking(c, setter, other.get()) || Router.blocked(c, other.get(), setter)
        || (other.get().isPerson() && !d.router().reachable(c, other.get().personId(), setter))) {
      // a group's timer is its admins' (PATCH /v1/me/groups/{id}); anything else has no thread
      return new Change(NO_CONVERSATION, List.of());
    }
    Instant now = d.clock().instant();
    Long before = timer(c, setter, other.get());
    ThreadTable.setTimer(c, setter, other.get(), e.seconds() == null ? 0 : e.seconds(), defaultSeconds, now);
    Long after = timer(c, setter, other.get());
    if (java.util.Objects.equals(before, after)) {
      return new Change(EventResult.accepted(), List.of());
    }
    String text = after == null
        ? "Disappearing messages are off in this conversation."
        : "Messages in this conversation now disappear " + describe(after) + " after they are sent.";
    List<StoredMessage> out = new ArrayList<>();
    out.add(announce(c, other.get(), setter, text, now));
    out.add(announce(c, setter, other.get(), text, now));
    return new Change(EventResult.accepted(), out);
  }

  /**
   * A system message to {@code viewer}, in their conversation with {@code about}: from the address
   * they know {@code about} by, queued like a message of {@code about}'s (same order), with no
   * status owed to anyone.
   */
  private StoredMessage announce(Connection c, PartyKey about, PartyKey viewer, String text, Instant now)
      throws SQLException {
    byte[] b = new byte[10];
    d.random().nextBytes(b);
    String gid = MessageTable.gidPrefix(now.toEpochMilli()) + HexFormat.of().formatHex(b);
    Address from = d.relays().handleFor(c, about, viewer, d.relays().shown(c, about, viewer), now);
    Instant deadline = now.plus(d.maxAge());
    Envelope env = Presentation.presented(c,
        new Envelope(MessageId.of(gid), from, SystemMessages.SYSTEM, now, new Content.Text(text), null, null, deadline,
            false, null, null, true), about);
    return MessageTable.insertLeg(c, new StoredMessage(gid, 0, GroupFanOut.SYSTEM_NETWORK, MessageId.of(gid),
        about.value() + " " + viewer.value(), about, viewer, env, deadline, MessageRefs.NONE), now);
  }

  /** "7 days", "1 hour", "90 seconds": the largest unit that divides the timer. */
  static String describe(long seconds) {
    long[] units = {365L * 86400, 7L * 86400, 86400, 3600, 60, 1};
    String[] names = {"year", "week", "day", "hour", "minute", "second"};
    for (int i = 0; i < units.length; i++) {
      if (seconds % units[i] == 0) {
        long n = seconds / units[i];
        return n + " " + names[i] + (n == 1 ? "" : "s");
      }
    }
    return seconds + " seconds";
  }
}
