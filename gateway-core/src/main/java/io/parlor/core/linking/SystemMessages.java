package io.parlor.core.linking;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.Network;
import io.parlor.core.routing.NetworkRegistry;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Messages from the node itself ({@code @parlor}: one-time codes, explanations) sent straight
 * through the account's network adapter, not through the queue: each is useless after a while and
 * the person can ask again. Counted by network, kind and outcome; never logged with the text or
 * the account. Thread-safe.
 */
public final class SystemMessages {
  private static final Logger log = LoggerFactory.getLogger(SystemMessages.class);
  public static final Address SYSTEM = Address.of("@parlor");

  private final NetworkRegistry networks;
  private final Clock clock;
  private final SecureRandom random;
  private final MeterRegistry meters;

  public SystemMessages(NetworkRegistry networks, Clock clock, SecureRandom random, MeterRegistry meters) {
    this.networks = networks;
    this.clock = clock;
    this.random = random;
    this.meters = meters;
  }

  /** Sends {@code text} to {@code account}, expiring after {@code ttl}; {@code kind} tags the metric. */
  public CompletionStage<Boolean> send(Address account, String text, Duration ttl, String kind) {
    return send(account, kind, (network, id) -> sendNow(network, account, id, text, ttl));
  }

  /** Delivers {@code text} from {@code @parlor} as message {@code id} now. */
  CompletionStage<DeliveryResult> sendNow(Network network, Address account, String id, String text, Duration ttl) {
    Instant now = clock.instant();
    Envelope e = new Envelope(MessageId.of(id), SYSTEM, account, now, new Content.Text(text), null, null, now.plus(ttl));
    return network.adapter().deliver(e, new DeliveryTarget(account, id));
  }

  /** Hands a system message over with {@code deliver} (given the network and a fresh id). */
  public CompletionStage<Boolean> send(
      Address account, String kind, java.util.function.BiFunction<Network, String, CompletionStage<DeliveryResult>> deliver) {
    Optional<Network> network = networks.get(account.network().orElseThrow());
    if (network.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    byte[] b = new byte[12];
    random.nextBytes(b);
    String id = kind + "-" + HexFormat.of().formatHex(b);
    String net = network.get().id().value();
    CompletionStage<DeliveryResult> sent;
    try {
      sent = deliver.apply(network.get(), id);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle(
        (r, err) -> {
          String metric = kind.equals("code") ? MetricNames.AUTH_CODES : MetricNames.SYSTEM_MESSAGES;
          Counter.Builder c = Counter.builder(metric)
              .tag(MetricNames.TAG_NETWORK, net)
              .tag(MetricNames.TAG_OUTCOME, err == null ? "sent" : "failed");
          if (!kind.equals("code")) {
            c.tag("kind", kind);
          }
          c.register(meters).increment();
          if (err != null) {
            log.warn("a {} message could not be sent on network {}: {}", kind, net, rootName(err));
          }
          return err == null;
        });
  }

  private static String rootName(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName();
  }
}
