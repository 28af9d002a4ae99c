package io.parlor.core.safety;

import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.NetworkRegistry;
import io.parlor.core.routing.ReferenceTable;
import io.parlor.core.routing.RelayTable;
import io.parlor.core.store.GraphSeal;
import io.parlor.spi.DeliveryException;
import io.parlor.spi.ReportReceiver;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.NetworkId;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a report does, wherever it comes from (the user API, a network's {@code report} event, a
 * {@code REPORT} reply by SMS): it blocks the reported sender for the reporter (a person), counts
 * towards holding the sender ({@link Reports}), and — when the reported message is known and its
 * network takes reports ({@link ReportReceiver}) — is forwarded there, pseudonymous, with content
 * only if the reporter attached some. {@link #file} runs in the caller's unit of work; {@link
 * #after} once it committed. Thread-safe.
 */
public final class Reporting {
  private static final Logger log = LoggerFactory.getLogger(Reporting.class);
  /** The network of a report naming no message, of a sender known by no one account: counted towards none. */
  static final NetworkId NO_NETWORK = NetworkId.of("unknown-network");

  /** Attempts to forward one report (transient failures only), one, four and nine seconds apart. */
  static final int FORWARD_ATTEMPTS = 4;

  private final Reports reports;
  private final RelayTable relays;
  private final NetworkRegistry networks;
  private final MeterRegistry meters;
  private final Duration window;

  public Reporting(Reports reports, RelayTable relays, NetworkRegistry networks, MeterRegistry meters, Duration window) {
    this.reports = reports;
    this.relays = relays;
    this.networks = networks;
    this.meters = meters;
    this.window = window;
  }

  /** The reports and holds. */
  public Reports reports() {
    return reports;
  }

  /**
   * A filed report, to finish once its unit of work committed.
   *
   * @param filed what it decided
   * @param network the network the reported message came from (a metric tag)
   * @param forward the report for that network, or null (not known, or the network takes none)
   */
  public record Filing(Reports.Filed filed, NetworkId network, ReportReceiver.ForwardedReport forward) {}

  /**
   * Files a report by {@code reporter} about {@code reported}: blocks them for the reporter when
   * the reporter is a person, counts it, and prepares its forwarding.
   *
   * @param leg the message reported, or null (a report naming no message: by SMS, or by address)
   * @param attachment what the reporter attached (a JSON object's text), forwarded, never stored
   * @param verified the message's plaintext, when the reporter proved it by message franking (the
   *     caller verified the opening): forwarded as the content, marked verified; else null
   * @param block whether to block the sender for the reporter here (false: the caller did)
   */
  public Filing file(Connection c, PartyKey reporter, PartyKey reported, ReferenceTable.Leg leg, String reason,
      String attachment, byte[] verified, boolean block, Instant now) throws SQLException {
    // the network the reported message came from; without a message, the sender's own network
    // when they are known by an account there, else none (counted towards no network)
    NetworkId network = leg != null ? leg.sourceNetwork()
        : !reported.isPerson() && !reported.isGroup() ? reported.address().network().orElse(NO_NETWORK) : NO_NETWORK;
    if (block && reporter.isPerson()) {
      // blocked like a block by reply: shown to the reporter as the relay handle of the pair
      String shown = relays.handleFor(c, reported, reporter, relays.shown(c, reported, reporter), now).value();
      PeopleTable.blockParty(c, reporter.personId(), reported, shown);
    }
    Reports.Filed filed = reports.file(c, reporter, reported, network, reason, now);
    ReportReceiver.ForwardedReport forward = null;
    if (leg != null && receiver(leg.sourceNetwork()).isPresent()) {
      // the reporter towards that network, for this window: unlinkable to anything else
      long epoch = now.toEpochMilli() / window.toMillis();
      String pseudonym = "r-" + GraphSeal.of(c).tag("report " + network.value() + " " + epoch + " " + reporter.value());
      if (verified != null) {
        com.fasterxml.jackson.databind.node.ObjectNode text = io.parlor.spi.json.EnvelopeJson.mapper().createObjectNode();
        text.put("type", "text");
        text.put("text", new String(verified, java.nio.charset.StandardCharsets.UTF_8));
        forward = new ReportReceiver.ForwardedReport(leg.sourceId(), reason, pseudonym, now, text.toString(), true);
      } else {
        forward = new ReportReceiver.ForwardedReport(leg.sourceId(), reason, pseudonym, now, attachment);
      }
    }
    return new Filing(filed, network, forward);
  }

  /** After the report's unit committed: metrics, the hold's log line, the forwarding. */
  public void after(Filing f) {
    decision("reported", f.network());
    Reports.Hold held = f.filed().held();
    if (held != null) {
      decision("held", f.network());
      log.info("sender held for review: hold {}, reported by {} people within the window (threshold {})",
          held.id(), held.count(), reports.holdAfter());
    }
    if (f.forward() != null) {
      forward(f.network(), f.forward(), 1);
    }
  }

  /** After the unit that held a sender for fanning out to strangers committed: the log line and metric. */
  public void heldForFanOut(Reports.Hold held, NetworkId network) {
    decision("held", network);
    log.info("sender held for review: hold {}, wrote to {} people within the window, few of whom answered",
        held.id(), held.count());
  }

  /** Counts an operator's decision on a hold. */
  public void decided(String decision) {
    meters.counter(MetricNames.SAFETY_DECISIONS, MetricNames.TAG_DECISION, decision).increment();
  }

  private void decision(String decision, NetworkId network) {
    meters.counter(MetricNames.SAFETY_DECISIONS, MetricNames.TAG_DECISION, decision,
        MetricNames.TAG_NETWORK, network.value()).increment();
  }

  private Optional<ReportReceiver> receiver(NetworkId network) {
    return networks.get(network).flatMap(n -> n.adapter().feature(ReportReceiver.class));
  }

  private void forward(NetworkId network, ReportReceiver.ForwardedReport report, int attempt) {
    Optional<ReportReceiver> to = receiver(network);
    if (to.isEmpty()) {
      return;
    }
    CompletableFuture<Void> sent;
    try {
      sent = to.get().forwardReport(report).toCompletableFuture();
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((v, err) -> {
      if (err == null) {
        forwarded(network, "forwarded");
        return;
      }
      Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (cause instanceof TransientDeliveryException && attempt < FORWARD_ATTEMPTS) {
        CompletableFuture.delayedExecutor((long) attempt * attempt, TimeUnit.SECONDS)
            .execute(() -> forward(network, report, attempt + 1));
        return;
      }
      forwarded(network, "failed");
      log.warn("a report could not be forwarded to network {} after {} attempts: {}", network, attempt,
          cause instanceof DeliveryException ? cause.getMessage() : cause.getClass().getSimpleName());
    });
  }

  private void forwarded(NetworkId network, String outcome) {
    meters.counter(MetricNames.REPORTS_FORWARDED, MetricNames.TAG_NETWORK, network.value(),
        MetricNames.TAG_OUTCOME, outcome).increment();
  }
}
