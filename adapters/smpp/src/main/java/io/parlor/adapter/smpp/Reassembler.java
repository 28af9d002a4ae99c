package io.parlor.adapter.smpp;

import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reassembles concatenated inbound messages. Parts are kept as received octets (decoded once
 * complete, so an escape or surrogate pair cut across parts still decodes); a group stays until
 * {@link #complete} (the core stored the message) so that, when storing fails and the SMSC
 * redelivers the last part, the message is assembled again. Groups whose parts do not all arrive
 * within {@code timeout} of the first are dropped and counted (purged lazily, no timer thread).
 *
 * <p>Thread-safe (one lock). Time comes from the injected clock.
 */
final class Reassembler {
  private final Clock clock;
  private final Duration timeout;
  private final int maxGroups;
  private final LinkedHashMap<Key, Group> groups = new LinkedHashMap<>();

  /**
   * Identifies the parts of one message.
   *
   * @param source sender account
   * @param dest recipient account
   * @param ref concatenation reference
   * @param total number of parts
   * @param refBits 8 or 16 (the same number in both sizes are different messages)
   */
  record Key(String source, String dest, int ref, int total, int refBits) {
    @Override
    public String toString() {
      return "Key[ref=" + ref + ", total=" + total + "]";
    }
  }

  private static final class Group {
    final Instant first;
    final byte[][] parts;
    final byte dataCoding;

    Group(Instant first, int total, byte dataCoding) {
      this.first = first;
      this.parts = new byte[total][];
      this.dataCoding = dataCoding;
    }
  }

  /**
   * All parts' octets in order, with the first part's data coding.
   *
   * @param dataCoding data coding to decode with
   * @param userData the parts' octets without headers, concatenated
   */
  record Assembled(byte dataCoding, byte[] userData) {}

  Reassembler(Clock clock, Duration timeout, int maxGroups) {
    this.clock = clock;
    this.timeout = timeout;
    this.maxGroups = maxGroups;
  }

  /**
   * Adds part {@code seq} (1-based) of {@code key}; a repeated part replaces the earlier one.
   * Returns the whole message once every part is there.
   */
  synchronized Optional<Assembled> offer(Key key, int seq, byte dataCoding, byte[] octets) {
    Group g = groups.get(key);
    if (g == null) {
      g = new Group(clock.instant(), key.total(), dataCoding);
      groups.put(key, g);
      while (groups.size() > maxGroups) {
        Iterator<Key> it = groups.keySet().iterator();
        it.next();
        it.remove();
      }
    }
    g.parts[seq - 1] = octets.clone();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] p : g.parts) {
      if (p == null) {
        return Optional.empty();
      }
      all.writeBytes(p);
    }
    return Optional.of(new Assembled(g.dataCoding, all.toByteArray()));
  }

  /** The message of {@code key} was stored: forget its parts. */
  synchronized void complete(Key key) {
    groups.remove(key);
  }

  /** Drops groups older than the timeout; returns how many. */
  synchronized int purgeExpired() {
    Instant now = clock.instant();
    int n = 0;
    for (Iterator<Map.Entry<Key, Group>> it = groups.entrySet().iterator(); it.hasNext(); ) {
      if (Duration.between(it.next().getValue().first, now).compareTo(timeout) >= 0) {
        it.remove();
        n++;
      }
    }
    return n;
  }

  synchronized int size() {
    return groups.size();
  }
}
