package io.parlor.core.safety;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.NetworkId;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Volume limits at ingress (issue 14, item 4): token buckets per sender (the account a message
 * comes from), per pair (that account and the address it writes to) and per source network, each
 * scaled by the source network's trust ({@link Trust}) — and by a quarter more for a network
 * throttled because its senders drew many reports ({@link #throttle}). A message over a limit is
 * refused before anything is stored, with how long to wait: {@code 429 rate_limited} with {@code
 * Retry-After} on webhook networks, a throttling error over SMPP, a retry asked of Meta's
 * platforms — never dropped. So a flood from one sender costs the store nothing and never queues
 * ahead of other senders' messages.
 *
 * <p>In memory, per node (a cluster of N nodes lets a sender through up to N times faster); a
 * bucket is forgotten once it has refilled. Keys are the addresses as received: they never leave
 * the process (no log, metric or file). Thread-safe; never blocks.
 */
public final class Limits {
  /** How far a network's senders are trusted: every limit of its senders is multiplied by the factor. */
  public enum Trust {
    TRUSTED(4.0),
    STANDARD(1.0),
    NEW(0.25);

    private final double factor;

    Trust(double factor) {
      this.factor = factor;
    }

    public double factor() {
      return factor;
    }

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Trust> parse(String s) {
      for (Trust t : values()) {
        if (t.wire().equals(s)) {
          return Optional.of(t);
        }
      }
      return Optional.empty();
    }
  }

  /** A throttled network's limits are multiplied by this too. */
  static final double THROTTLED = 0.25;

  /**
   * The limits of a {@code standard} network.
   *
   * @param senderPerMinute messages one account may send a minute, sustained
   * @param senderBurst messages one account may send at once
   * @param pairPerMinute messages one account may send one recipient a minute, sustained
   * @param pairBurst at once
   * @param networkPerSecond messages all of a network's senders may send a second, sustained
   * @param networkBurst at once
   * @param throttleNetworkAfterReports reports about a network's senders within the metadata
   *     window that throttle the network as a whole
   * @param holdAfterStrangers people one sender may write to within the metadata window, fewer
   *     than a fifth of them answering, before the sender is held for review
   */
  public record Settings(int senderPerMinute, int senderBurst, int pairPerMinute, int pairBurst, int networkPerSecond,
      int networkBurst, int throttleNetworkAfterReports, int holdAfterStrangers) {
    /** The defaults: generous for people, tight for machines. */
    public static Settings defaults() {
      return new Settings(60, 120, 30, 60, 1000, 2000, 100, 100);
    }
  }

  private final Settings settings;
  private final Map<NetworkId, Trust> trust;
  private final Clock clock;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private volatile Set<NetworkId> throttled = Set.of();
  private volatile long lastSweep;

  /**
   * Messages this node recently answered (accepted or duplicate), by a 64-bit hash of network and
   * id: a redelivery of one of them (a platform retrying a whole batch, a sender retrying after a
   * lost answer) is a duplicate, and takes no token — otherwise a batch that a limit made the
   * platform retry could be refused again and again by its own earlier messages. A hash collision
   * lets one message past the limits; nothing worse.
   */
  private final java.util.concurrent.atomic.AtomicLongArray recent = new java.util.concurrent.atomic.AtomicLongArray(1 << 18);

  /** Remembers that {@code id} from {@code source} was answered for good (accepted or duplicate). */
  public void answered(NetworkId source, String id) {
    long h = hash(source, id);
    recent.set((int) (h & (recent.length() - 1)), h);
  }

  /** Whether {@code id} from {@code source} was answered recently: its redelivery is exempt. */
  public boolean answeredRecently(NetworkId source, String id) {
    long h = hash(source, id);
    return recent.get((int) (h & (recent.length() - 1))) == h;
  }

  private static long hash(NetworkId source, String id) {
    long h = 1125899906842597L;
    String s = source.value() + "\0" + id;
    for (int i = 0; i < s.length(); i++) {
      h = 31 * h + s.charAt(i);
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h == 0 ? 1 : h;
  }

  /** Buckets kept before a sweep of the full ones runs inline (at most once a second). */
  static final int SWEEP_AT = 200_000;

  public Limits(Settings settings, Map<NetworkId, Trust> trust, Clock clock) {
    this.settings = settings;
    this.trust = Map.copyOf(trust);
    this.clock = clock;
  }

  public Settings settings() {
    return settings;
  }

  /** How far {@code network}'s senders are trusted. */
  public Trust trust(NetworkId network) {
    return trust.getOrDefault(network, Trust.STANDARD);
  }

  /** The factor every limit of {@code network}'s senders is multiplied by. */
  public double factor(NetworkId network) {
    return trust(network).factor() * (throttled.contains(network) ? THROTTLED : 1.0);
  }

  /** Whether {@code network} is throttled as a whole (its senders drew many reports). */
  public boolean throttled(NetworkId network) {
    return throttled.contains(network);
  }

  /** Sets the networks throttled as a whole (from the reports within the window). */
  public void throttle(Set<NetworkId> networks) {
    throttled = Set.copyOf(networks);
  }

  /**
   * Takes one token from the message's buckets (its network, its sender, its pair), or none and
   * says how long to wait when any of them is empty.
   */
  public Optional<Duration> take(NetworkId source, Address from, Address to) {
    double f = factor(source);
    long now = clock.millis();
    Bucket net = bucket("n " + source.value(), settings.networkBurst() * f, settings.networkPerSecond() * f, now);
    Bucket sender = bucket("s " + from.value(), settings.senderBurst() * f, settings.senderPerMinute() * f / 60, now);
    Bucket pair = bucket("p " + from.value() + " " + to.value(), settings.pairBurst() * f,
        settings.pairPerMinute() * f / 60, now);
    // all or nothing, in one order everywhere (no deadlock): a refused message takes no token
    synchronized (net) {
      synchronized (sender) {
        synchronized (pair) {
          long wait = Math.max(net.waitMillis(now), Math.max(sender.waitMillis(now), pair.waitMillis(now)));
          if (wait > 0) {
            return Optional.of(Duration.ofMillis(wait));
          }
          net.tokens -= 1;
          sender.tokens -= 1;
          pair.tokens -= 1;
          return Optional.empty();
        }
      }
    }
  }

  /** Forgets the buckets that have refilled (they are as good as new): housekeeping, every minute. */
  public void sweep() {
    long now = clock.millis();
    lastSweep = now;
    buckets.values().removeIf(b -> {
      synchronized (b) {
        b.refill(now);
        return b.tokens >= b.capacity;
      }
    });
  }

  /** Buckets in memory (for tests and metrics). */
  public int size() {
    return buckets.size();
  }

  private Bucket bucket(String key, double capacity, double perSecond, long now) {
    Bucket b = buckets.get(key);
    if (b == null) {
      if (buckets.size() >= SWEEP_AT && now - lastSweep >= 1000) {
        sweep();
      }
      b = buckets.computeIfAbsent(key, k -> new Bucket(capacity, perSecond, now));
    }
    synchronized (b) {
      // trust or throttling changed: the bucket takes the new size and rate, keeping what it holds
      b.capacity = Math.max(1, capacity);
      b.perMilli = perSecond / 1000;
    }
    return b;
  }

  /** A token bucket; guarded by its own monitor. */
  private static final class Bucket {
    double capacity;
    double perMilli;
    double tokens;
    long at;

    Bucket(double capacity, double perSecond, long now) {
      this.capacity = Math.max(1, capacity);
      this.perMilli = perSecond / 1000;
      this.tokens = this.capacity;
      this.at = now;
    }

    void refill(long now) {
      if (now > at) {
        tokens = Math.min(capacity, tokens + (now - at) * perMilli);
        at = now;
      }
    }

    /** 0 when a token is there, else the milliseconds until one is. */
    long waitMillis(long now) {
      refill(now);
      if (tokens >= 1) {
        return 0;
      }
      return (long) Math.ceil((1 - tokens) / perMilli);
    }
  }
}
