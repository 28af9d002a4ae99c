package io.parlor.adapter.smpp;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Envelope ids for inbound SMS, which carry no id of their own: {@code sms-<key>-<t>} where
 * {@code key} is a keyed hash (HMAC-SHA256 under a per-adapter random key, so ids reveal neither
 * number nor text) of sender, recipient, concatenation reference and text, and {@code t} the
 * second it first arrived (base 36).
 *
 * <p>An SMSC redelivers a message we answered with an error, or whose answer it never got: while
 * a message is not acknowledged its id is kept, so the redelivery gets the same id and the core's
 * dedupe drops it if it was stored after all. Once acknowledged, the same text from the same
 * person is a new message and gets a new id. Ids are kept in memory (a restart forgets them: the
 * redelivery then gets a new id, i.e. at-least-once).
 *
 * <p>Thread-safe (one lock). Bounded: pending ids live {@link #PENDING_TTL}, at most {@code max}.
 */
final class MoIds {
  static final Duration PENDING_TTL = Duration.ofHours(24);
  private static final Duration USED_TTL = Duration.ofMinutes(10);

  private final Clock clock;
  private final SecretKeySpec key;
  private final int max;
  private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();
  private final LinkedHashMap<String, Instant> used = new LinkedHashMap<>();

  private record Pending(String id, Instant since) {}

  MoIds(Clock clock, byte[] hmacKey, int max) {
    this.clock = clock;
    this.key = new SecretKeySpec(hmacKey.clone(), "HmacSHA256");
    this.max = max;
  }

  /** The content key of a message (what a redelivery repeats). */
  String contentKey(String from, String to, String concat, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      for (String s : new String[] {from, to, concat, text}) {
        mac.update(s.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 0);
      }
      return HexFormat.of().formatHex(mac.doFinal(), 0, 12);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** The id for a message with {@code contentKey}: the pending one on redelivery, else a new one. */
  synchronized String idFor(String contentKey) {
    Instant now = clock.instant();
    purge(now);
    Pending p = pending.get(contentKey);
    if (p != null) {
      return p.id();
    }
    long t = now.getEpochSecond();
    String id = "sms-" + contentKey + "-" + Long.toString(t, 36);
    while (used.containsKey(id)) {
      id = "sms-" + contentKey + "-" + Long.toString(++t, 36);
    }
    pending.put(contentKey, new Pending(id, now));
    used.put(id, now);
    while (pending.size() > max) {
      Iterator<String> it = pending.keySet().iterator();
      it.next();
      it.remove();
    }
    return id;
  }

  /** The message was acknowledged to the SMSC: a later identical one is new. */
  synchronized void acknowledged(String contentKey) {
    pending.remove(contentKey);
  }

  private void purge(Instant now) {
    for (Iterator<Map.Entry<String, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
      if (Duration.between(it.next().getValue().since(), now).compareTo(PENDING_TTL) <= 0) {
        break;
      }
      it.remove();
    }
    for (Iterator<Map.Entry<String, Instant>> it = used.entrySet().iterator(); it.hasNext(); ) {
      if (Duration.between(it.next().getValue(), now).compareTo(USED_TTL) <= 0 && used.size() <= max) {
        break;
      }
      it.remove();
    }
  }
}
