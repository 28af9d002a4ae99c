package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.parlor.spi.AdapterContext;
import io.parlor.spi.Health;
import io.parlor.spi.InboundSink;
import io.parlor.spi.IngressResult;
import io.parlor.spi.config.ConfigProblem;
import io.parlor.spi.config.ConfigView;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/** Shared pieces of the ITs: config, a fake core, polling. */
final class ItSupport {
  static final NetworkId SMS = NetworkId.of("sms");

  private ItSupport() {}

  /** Parses a config through the provider, as the core would. */
  static SmppConfig config(int port, Map<String, Object> overrides) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("host", "127.0.0.1");
    m.put("port", port);
    m.put("systemId", TestSmsc.SYSTEM_ID);
    m.put("password", TestSmsc.PASSWORD);
    m.put("sourceAddress", "12345");
    m.put("enquireLinkInterval", "PT5S");
    m.put("responseTimeout", "PT5S");
    m.put("reconnectBackoff", Map.of("initial", "PT0.05S", "max", "PT0.2S"));
    overrides.forEach((k, v) -> {
      if (v == null) {
        m.remove(k);
      } else {
        m.put(k, v);
      }
    });
    List<ConfigProblem> problems = new ArrayList<>();
    SmppConfig c = new SmppAdapterProvider().parseConfig(ConfigView.root(m, problems));
    if (c == null) {
      fail("bad test config: " + problems);
    }
    return c;
  }

  /** The core's side: records envelopes and health, answers with {@link #answer}. */
  static final class FakeCore implements InboundSink {
    final LinkedBlockingQueue<Envelope> envelopes = new LinkedBlockingQueue<>();
    final List<Health> health = new CopyOnWriteArrayList<>();
    final LinkedBlockingQueue<SmsReceipt> receipts = new LinkedBlockingQueue<>();
    volatile Function<Envelope, CompletionStage<IngressResult>> answer =
        e -> CompletableFuture.completedFuture(new IngressResult.Accepted("g-" + e.id()));

    @Override
    public CompletionStage<IngressResult> accept(Envelope envelope) {
      envelopes.add(envelope);
      return answer.apply(envelope);
    }

    AdapterContext context(Clock clock) {
      return new AdapterContext(SMS, clock, this, (n, h) -> health.add(h));
    }

    SmppAdapter adapter(SmppConfig config) {
      return new SmppAdapter(config, context(Clock.systemUTC()), receipts::add);
    }

    boolean saw(io.parlor.spi.HealthState s) {
      return health.stream().anyMatch(h -> h.state() == s);
    }
  }

  static Envelope text(String id, String from, String body) {
    return Envelope.of(MessageId.of(id), Address.of(from), Address.of("sms:+447700900123"),
        Instant.now(), new Content.Text(body));
  }

  /** Polls {@code condition} every 10 ms until true or {@code timeout}. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      }
    }
  }

  /** No thread of these jsmpp sessions, nor any with {@code prefix}, is alive (within 5 s). */
  static void assertThreadsGone(Collection<String> sessionIds, Collection<String> prefixes) {
    await("threads to end", Duration.ofSeconds(5), () -> alive(sessionIds, prefixes).isEmpty());
    assertTrue(alive(sessionIds, prefixes).isEmpty());
  }

  static List<String> alive(Collection<String> sessionIds, Collection<String> prefixes) {
    List<String> out = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!t.isAlive()) {
        continue;
      }
      String n = t.getName();
      for (String id : sessionIds) {
        if (n.endsWith("-" + id)) {
          out.add(n);
        }
      }
      for (String p : prefixes) {
        if (n.startsWith(p)) {
          out.add(n);
        }
      }
    }
    return out;
  }
}
