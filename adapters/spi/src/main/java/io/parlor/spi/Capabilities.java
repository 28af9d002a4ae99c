package io.parlor.spi;

import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.EventKind;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a network can carry. Immutable. The core reads it before delivering and decides to deliver,
 * degrade or refuse; it never silently weakens a guarantee.
 *
 * @param e2eeSchemes end-to-end encryption schemes the network's clients speak; empty means
 *     plaintext only
 * @param maxTextLength longest text in characters the network accepts in one message
 * @param expiry whether the network's clients honour disappearing timers
 * @param deliveryReceipts whether the network reports delivery
 * @param replies whether reply references ({@code replyTo}) are carried
 * @param allowedTimers the only disappearing-timer durations the network's clients offer (e.g.
 *     24 h, 7 d, 90 d); empty means any duration. The core rounds a timer down to the next
 *     allowed one, never up.
 * @param content the content kinds its clients show natively besides text (and encrypted
 *     content of {@code e2eeSchemes}): {@link ContentKind#MEDIA}, {@link ContentKind#REACTION},
 *     {@link ContentKind#EDIT}, {@link ContentKind#DELETE}, {@link ContentKind#LOCATION}. For any
 *     other kind the core sends a text fallback or drops it (never the adapter).
 * @param events the events the network takes: {@link EventKind#READ} (read statuses of the
 *     messages it sent), {@link EventKind#TYPING} (typing indicators, through {@link EventSender})
 */
public record Capabilities(
    Set<String> e2eeSchemes,
    int maxTextLength,
    Level expiry,
    Level deliveryReceipts,
    Level replies,
    List<Duration> allowedTimers,
    Set<ContentKind> content,
    Set<EventKind> events) {

  /** Capabilities that accept any timer duration. */
  public Capabilities(
      Set<String> e2eeSchemes, int maxTextLength, Level expiry, Level deliveryReceipts, Level replies) {
    this(e2eeSchemes, maxTextLength, expiry, deliveryReceipts, replies, List.of());
  }

  /** Text (and encrypted content of its schemes) only, no events: a version 1 network. */
  public Capabilities(
      Set<String> e2eeSchemes,
      int maxTextLength,
      Level expiry,
      Level deliveryReceipts,
      Level replies,
      List<Duration> allowedTimers) {
    this(e2eeSchemes, maxTextLength, expiry, deliveryReceipts, replies, allowedTimers, Set.of(), Set.of());
  }

  public Capabilities {
    allowedTimers = List.copyOf(Objects.requireNonNull(allowedTimers, "allowedTimers")).stream().sorted().toList();
    e2eeSchemes = Set.copyOf(Objects.requireNonNull(e2eeSchemes, "e2eeSchemes"));
    if (maxTextLength < 1) {
      throw new IllegalArgumentException("maxTextLength must be positive");
    }
    Objects.requireNonNull(expiry, "expiry");
    Objects.requireNonNull(deliveryReceipts, "deliveryReceipts");
    Objects.requireNonNull(replies, "replies");
    content = Set.copyOf(Objects.requireNonNull(content, "content"));
    events = Set.copyOf(Objects.requireNonNull(events, "events"));
    if (content.contains(ContentKind.ENCRYPTED)) {
      throw new IllegalArgumentException("encrypted content is declared by e2eeSchemes, not content");
    }
  }

  /** These capabilities with the given native content kinds and events. */
  public Capabilities withConversations(Set<ContentKind> newContent, Set<EventKind> newEvents) {
    return new Capabilities(
        e2eeSchemes, maxTextLength, expiry, deliveryReceipts, replies, allowedTimers, newContent, newEvents);
  }

  /** Whether the network's clients show {@code kind} natively (text always). */
  public boolean shows(ContentKind kind) {
    return kind == ContentKind.TEXT || content.contains(kind);
  }

  /** Whether the network takes events of {@code kind}. */
  public boolean takes(EventKind kind) {
    return events.contains(kind);
  }

  /** Every version 2 content kind: for networks that show them all. */
  public static Set<ContentKind> allConversationContent() {
    return EnumSet.of(ContentKind.MEDIA, ContentKind.REACTION, ContentKind.EDIT, ContentKind.DELETE, ContentKind.LOCATION);
  }

  public boolean supportsScheme(String scheme) {
    return e2eeSchemes.contains(scheme);
  }

  /** Whether the network's clients carry no end-to-end encryption at all (e.g. SMS). */
  public boolean plaintextOnly() {
    return e2eeSchemes.isEmpty();
  }

  /**
   * The timer this network can honour for a message that must live at most {@code seconds}: the
   * longest allowed duration not longer than it; empty when the network cannot honour timers or
   * every allowed duration is longer.
   */
  public Optional<Long> timerAtMost(long seconds) {
    if (!expiry.carries()) {
      return Optional.empty();
    }
    if (allowedTimers.isEmpty()) {
      return Optional.of(seconds);
    }
    Long best = null;
    for (Duration d : allowedTimers) {
      if (d.getSeconds() <= seconds) {
        best = d.getSeconds();
      }
    }
    return Optional.ofNullable(best);
  }
}
