package io.parlor.core.linking;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.NetworkRegistry;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a one-time code to an account through its network's adapter, directly (not through the
 * queue: a code is useless after ten minutes and the person can ask again), from the system
 * handle {@code @parlor}, expiring with the code. Thread-safe.
 */
public final class CodeSender {
  private static final Logger log = LoggerFactory.getLogger(CodeSender.class);
  public static final Address SYSTEM = Address.of("@parlor");

  private final NetworkRegistry networks;
  private final Clock clock;
  private final SecureRandom random;
  private final MeterRegistry meters;

  public CodeSender(NetworkRegistry networks, Clock clock, SecureRandom random, MeterRegistry meters) {
    this.networks = networks;
    this.clock = clock;
    this.random = random;
    this.meters = meters;
  }

  public void send(Address account, String code) {
    var network = networks.get(account.network().orElseThrow());
    if (network.isEmpty()) {
      return;
    }
    byte[] b = new byte[12];
    random.nextBytes(b);
    String id = "code-" + HexFormat.of().formatHex(b);
    Instant now = clock.instant();
    Envelope e =
        new Envelope(
            MessageId.of(id), SYSTEM, account, now,
            new Content.Text(
                "Your Parlor code is " + code + ". It expires in 10 minutes. If you did not ask for it, ignore this message."),
            null, null, now.plus(OneTimeCodes.VALIDITY));
    String net = network.get().id().value();
    network.get().adapter()
        .deliver(e, new DeliveryTarget(account, id))
        .whenComplete(
            (r, err) -> {
              Counter.builder(MetricNames.AUTH_CODES)
                  .tag(MetricNames.TAG_NETWORK, net)
                  .tag(MetricNames.TAG_OUTCOME, err == null ? "sent" : "failed")
                  .register(meters)
                  .increment();
              if (err != null) {
                log.warn("one-time code could not be sent on network {}: {}", net, err.getClass().getSimpleName());
              }
            });
  }
}
