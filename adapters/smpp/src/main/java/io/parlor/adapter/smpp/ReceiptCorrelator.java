package io.parlor.adapter.smpp;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Correlates delivery receipts with submitted messages, in both arrival orders: a receipt can be
 * processed before the {@code submit_sm_resp} that tells us its id (jsmpp processes PDUs on
 * several threads, and fast SMSCs send the receipt right behind the response), so a receipt for an
 * unknown id is kept for {@link #EARLY_TTL} and matched when the id is registered. A multi-part
 * message is delivered when all its parts are, and failed or expired as soon as one part is.
 *
 * <p>Thread-safe (one lock; the listener is called outside it). Memory is bounded: entries live at
 * most {@code ttl} and at most {@code maxMessages} messages are tracked (oldest evicted first);
 * expired entries are purged lazily on use, no timer thread.
 */
final class ReceiptCorrelator {
  static final Duration EARLY_TTL = Duration.ofMinutes(2);
  private static final int MAX_EARLY = 10_000;
  private static final Duration PURGE_EVERY = Duration.ofSeconds(10);

  private final Clock clock;
  private final ReceiptListener listener;
  private final StatsRecorder stats;
  private final Duration ttl;
  private final int maxMessages;
  private final LinkedHashSet<Tracked> tracked = new LinkedHashSet<>();
  private final Map<String, PartRef> exact = new HashMap<>();
  private final Map<String, PartRef> alternate = new HashMap<>();
  private final LinkedHashMap<String, Early> early = new LinkedHashMap<>();
  private Instant lastPurge;

  ReceiptCorrelator(
      Clock clock, ReceiptListener listener, StatsRecorder stats, Duration ttl, int maxMessages) {
    this.clock = clock;
    this.listener = listener;
    this.stats = stats;
    this.ttl = ttl;
    this.maxMessages = maxMessages;
    this.lastPurge = clock.instant();
  }

  /** One submitted message. Mutable state is guarded by the correlator's lock. */
  static final class Tracked {
    final String idempotencyKey;
    final Instant since;
    final String[] partIds;
    final String[] rawIds;
    final List<Set<String>> alternates;
    final boolean[] delivered;
    boolean done;

    Tracked(String idempotencyKey, int parts, Instant since) {
      this.idempotencyKey = idempotencyKey;
      this.partIds = new String[parts];
      this.rawIds = new String[parts];
      this.alternates = new ArrayList<>(java.util.Collections.nCopies(parts, Set.<String>of()));
      this.delivered = new boolean[parts];
      this.since = since;
    }
  }

  private record PartRef(Tracked message, int part) {}

  private record Early(DeliveryReceipt receipt, Instant at) {}

  /** Starts tracking a message of {@code parts} parts. */
  Tracked track(String idempotencyKey, int parts) {
    synchronized (this) {
      purgeIfDue();
      Tracked t = new Tracked(idempotencyKey, parts, clock.instant());
      tracked.add(t);
      while (tracked.size() > maxMessages) {
        forget(tracked.iterator().next());
      }
      return t;
    }
  }

  /** Records the SMSC id of one part; matches a receipt that arrived before it. */
  void partSubmitted(Tracked t, int part, String smscId) {
    List<SmsReceipt> out = new ArrayList<>(1);
    synchronized (this) {
      if (t.done || !tracked.contains(t)) {
        return;
      }
      String n = MessageIds.normalize(smscId);
      Set<String> alt = MessageIds.alternates(smscId);
      t.partIds[part] = n;
      t.rawIds[part] = smscId;
      t.alternates.set(part, alt);
      PartRef ref = new PartRef(t, part);
      exact.put(n, ref);
      alt.forEach(a -> alternate.put(a, ref));
      Early e = early.remove(n);
      for (Iterator<String> it = alt.iterator(); e == null && it.hasNext(); ) {
        e = early.remove(it.next());
      }
      if (e != null) {
        stats.receiptMatched();
        apply(ref, e.receipt(), out);
      }
    }
    out.forEach(listener::onReceipt);
  }

  /** Stops tracking a message whose submission failed (the core will submit it again). */
  synchronized void abandon(Tracked t) {
    forget(t);
  }

  /** Applies a receipt; keeps it for later when its id is not known yet. */
  void onReceipt(DeliveryReceipt r) {
    List<SmsReceipt> out = new ArrayList<>(1);
    synchronized (this) {
      purgeIfDue();
      String n = MessageIds.normalize(r.messageId());
      PartRef ref = exact.get(n);
      if (ref == null) {
        ref = alternate.get(n);
      }
      if (ref == null) {
        early.put(n, new Early(r, clock.instant()));
        while (early.size() > MAX_EARLY) {
          early.remove(early.keySet().iterator().next());
          stats.receiptUnmatched();
        }
        return;
      }
      stats.receiptMatched();
      apply(ref, r, out);
    }
    out.forEach(listener::onReceipt);
  }

  /** Number of messages tracked and receipts waiting for their id (for tests and stats). */
  synchronized int[] sizes() {
    return new int[] {tracked.size(), early.size()};
  }

  private void apply(PartRef ref, DeliveryReceipt r, List<SmsReceipt> out) {
    Tracked t = ref.message();
    SmsReceipt.Outcome outcome = r.state().outcome();
    if (t.done || outcome == null) {
      return;
    }
    if (outcome == SmsReceipt.Outcome.DELIVERED) {
      t.delivered[ref.part()] = true;
      for (boolean d : t.delivered) {
        if (!d) {
          return;
        }
      }
    }
    String error = outcome == SmsReceipt.Outcome.DELIVERED ? "" : r.error();
    out.add(new SmsReceipt(t.rawIds[0], t.idempotencyKey, outcome, error, clock.instant()));
    forget(t);
  }

  private void forget(Tracked t) {
    t.done = true;
    tracked.remove(t);
    for (int i = 0; i < t.partIds.length; i++) {
      if (t.partIds[i] == null) {
        continue;
      }
      removeIfOwned(exact, t.partIds[i], t);
      for (String a : t.alternates.get(i)) {
        removeIfOwned(alternate, a, t);
      }
    }
  }

  private static void removeIfOwned(Map<String, PartRef> map, String key, Tracked t) {
    PartRef cur = map.get(key);
    if (cur != null && cur.message() == t) {
      map.remove(key);
    }
  }

  private void purgeIfDue() {
    Instant now = clock.instant();
    if (Duration.between(lastPurge, now).compareTo(PURGE_EVERY) < 0) {
      return;
    }
    lastPurge = now;
    for (Iterator<Map.Entry<String, Early>> it = early.entrySet().iterator(); it.hasNext(); ) {
      if (Duration.between(it.next().getValue().at(), now).compareTo(EARLY_TTL) > 0) {
        it.remove();
        stats.receiptUnmatched();
      }
    }
    List<Tracked> old = new ArrayList<>();
    for (Tracked t : tracked) {
      if (Duration.between(t.since, now).compareTo(ttl) > 0) {
        old.add(t);
      } else {
        break;
      }
    }
    old.forEach(this::forget);
  }
}
