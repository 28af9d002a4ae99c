package io.parlor.core.conversation;

import io.parlor.core.linking.PartyKey;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The first characters of recent plaintext messages, which a reaction's text fallback quotes
 * ({@code 👍 to "first 40 chars…"}). Kept in memory only — never in the store, its WAL or the
 * logs — for at most the message's own lifetime and the metadata window, bounded in number (the
 * least recently added go first), and gone at restart (a fallback then says "your message").
 * Thread-safe.
 */
public final class Snippets {
  private record Key(NetworkId network, MessageId id) {}

  private record Snippet(String text, PartyKey author, Instant until) {}

  private final int capacity;
  private final Clock clock;
  private final Map<Key, Snippet> map;

  public Snippets(int capacity, Clock clock) {
    this.capacity = capacity;
    this.clock = clock;
    this.map = new LinkedHashMap<>(1024, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, Snippet> eldest) {
        return size() > Snippets.this.capacity;
      }
    };
  }

  /** Remembers the start of {@code text}, sent as {@code id} on {@code network}, until {@code until}. */
  public synchronized void put(NetworkId network, MessageId id, PartyKey author, String text, Instant until) {
    map.put(new Key(network, id), new Snippet(Grader.quote(text), author, until));
  }

  /** The snippet of the message, if known and not expired. */
  public synchronized String get(NetworkId network, MessageId id) {
    Snippet s = map.get(new Key(network, id));
    if (s == null) {
      return null;
    }
    if (!clock.instant().isBefore(s.until())) {
      map.remove(new Key(network, id));
      return null;
    }
    return s.text();
  }

  /** Forgets everything {@code author} wrote (forget-me). */
  public synchronized void forget(PartyKey author) {
    map.values().removeIf(s -> s.author().equals(author));
  }

  /** Drops expired snippets (housekeeping). */
  public synchronized void purge() {
    Instant now = clock.instant();
    map.values().removeIf(s -> !now.isBefore(s.until()));
  }

  synchronized int size() {
    return map.size();
  }
}
