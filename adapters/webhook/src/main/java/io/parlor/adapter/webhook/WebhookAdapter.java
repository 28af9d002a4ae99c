package io.parlor.adapter.webhook;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.EventSender;
import io.parlor.spi.Health;
import io.parlor.spi.HealthState;
import io.parlor.spi.Level;
import io.parlor.spi.ReportReceiver;
import io.parlor.spi.RequestVerifier;
import io.parlor.spi.StatusReceiver;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.http.HttpRoute;
import io.parlor.spi.json.EnvelopeJson;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A network speaking the generic webhook protocol (contract section 3). Thread-safe.
 *
 * <p>There is no persistent connection to report on: the adapter is CONNECTED from {@link #start()}
 * to {@link #stop(Duration)}. Deliveries and status reports go out through an {@link HttpPoster}
 * (pooled keep-alive connections on one event loop thread this adapter owns).
 */
final class WebhookAdapter implements Adapter, StatusReceiver, RequestVerifier, EventSender, ReportReceiver {
  private final WebhookConfig config;
  private final AdapterContext context;
  private final Signatures signatures;
  private final Capabilities capabilities;
  private final Object lock = new Object();
  private volatile Health health;
  /** Pooled connections unused this long are closed. */
  static final Duration IDLE_CONNECTION_TIMEOUT = Duration.ofSeconds(30);

  private HttpPoster http;
  private volatile WebhookSender sender;

  WebhookAdapter(WebhookConfig config, AdapterContext context) {
    this.config = config;
    this.context = context;
    this.signatures = new Signatures(config.secret());
    this.capabilities =
        new Capabilities(
            config.e2eeSchemes(),
            config.maxTextLength(),
            config.expiry() ? Level.FULL : Level.REJECTED,
            Level.DROPPED, // the protocol has no receipts: hand-over is delivery
            Level.FULL,
            config.timers(),
            config.content(),
            config.events());
    this.health = Health.of(HealthState.STOPPED, "not started", context.clock().instant());
  }

  @Override
  public CompletionStage<Void> start() {
    synchronized (lock) {
      if (http == null) {
        http = new HttpPoster("webhook-" + context.networkId(), config.requestTimeout(), config.maxConnections(),
            IDLE_CONNECTION_TIMEOUT, Tls.clientContext());
        sender = new WebhookSender(http, signatures, context.clock(), context.metrics());
        setHealth(HealthState.CONNECTED, "started");
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  /** Requests in flight get up to {@code grace} to be answered; what is left fails (and is retried after a restart). */
  @Override
  public CompletionStage<Void> stop(Duration grace) {
    HttpPoster h;
    synchronized (lock) {
      h = http;
      http = null;
      sender = null;
      if (h == null) {
        return CompletableFuture.completedFuture(null);
      }
      setHealth(HealthState.STOPPED, "stopped");
    }
    return h.close(grace);
  }

  @Override
  public Health health() {
    return health;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public CompletionStage<DeliveryResult> deliver(Envelope envelope, DeliveryTarget target) {
    WebhookSender s = sender;
    if (s == null) {
      return CompletableFuture.failedFuture(
          new AdapterUnavailableException("network " + context.networkId() + " is not started"));
    }
    return s.deliver(config.deliveryUrl(), envelope, target);
  }

  @Override
  public CompletionStage<Void> reportStatus(StatusReport report) {
    WebhookSender s = sender;
    if (config.statusUrl() == null) {
      return CompletableFuture.completedFuture(null);
    }
    if (s == null) {
      return CompletableFuture.failedFuture(
          new AdapterUnavailableException("network " + context.networkId() + " is not started"));
    }
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.put("id", report.id().value());
    n.put("status", report.status().wire());
    if (!report.reason().isEmpty()) {
      n.put("reason", report.reason());
    }
    report.asOpt().ifPresent(g -> n.put("as", g.wire()));
    report.membersOpt().ifPresent(mc -> {
      com.fasterxml.jackson.databind.node.ObjectNode o = n.putObject("members");
      if (report.status() == StatusReport.Status.READ) {
        o.put("read", mc.read());
      } else {
        o.put("delivered", mc.delivered());
        o.put("failed", mc.failed());
        o.put("pending", mc.pending());
      }
    });
    n.put("at", io.parlor.spi.json.EnvelopeJson.utc(report.at()));
    return s.status(config.statusUrl(), n, config.statusBatch(), report.id().value());
  }

  /** {@code POST {eventsUrl}} {@code {"type": "typing", "from", "to", "state", "group"?}}, signed; never retried. */
  @Override
  public CompletionStage<Void> typing(EventSender.TypingNotice notice) {
    WebhookSender s = sender;
    if (config.eventsUrl() == null) {
      return CompletableFuture.completedFuture(null);
    }
    if (s == null) {
      return CompletableFuture.failedFuture(
          new AdapterUnavailableException("network " + context.networkId() + " is not started"));
    }
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.put("type", "typing");
    n.put("from", notice.from().value());
    n.put("to", notice.recipient().value());
    n.put("state", notice.on() ? "on" : "off");
    if (notice.group() != null) {
      n.putObject("group").put("id", notice.group().value());
    }
    n.put("at", io.parlor.spi.json.EnvelopeJson.utc(context.clock().instant()));
    return s.post(config.eventsUrl(), n.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), null, "typing");
  }

  /**
   * {@code POST {reportUrl}} {@code {"type": "report", "id", "reason", "reporter", "at",
   * "verified"?, "content"?}}, signed; a 429, 5xx or timeout is a transient failure (the core retries it).
   */
  @Override
  public CompletionStage<Void> forwardReport(ReportReceiver.ForwardedReport report) {
    WebhookSender s = sender;
    if (config.reportUrl() == null) {
      return CompletableFuture.completedFuture(null);
    }
    if (s == null) {
      return CompletableFuture.failedFuture(
          new AdapterUnavailableException("network " + context.networkId() + " is not started"));
    }
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.put("type", "report");
    n.put("id", report.id().value());
    n.put("reason", report.reason());
    n.put("reporter", report.reporter());
    n.put("at", io.parlor.spi.json.EnvelopeJson.utc(report.at()));
    if (report.verified()) {
      n.put("verified", true); // the content is the message's plaintext, proven by message franking
    }
    if (report.attachment() != null) {
      try {
        n.set("content", EnvelopeJson.mapper().readTree(report.attachment()));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        return CompletableFuture.failedFuture(e); // parsed as JSON at the report's ingress: never happens
      }
    }
    return s.post(config.reportUrl(), n.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
        null, "a report");
  }

  @Override
  public List<HttpRoute> routes() {
    WebhookIngress ingress = new WebhookIngress(signatures, context.inbound(), context.events(), context.clock());
    String base = "/v1/networks/" + context.networkId();
    return List.of(
        new HttpRoute("POST", base + "/messages", ingress::handle),
        new HttpRoute("POST", base + "/events", ingress::handleEvent));
  }

  @Override
  public <T> Optional<T> feature(Class<T> type) {
    return type == StatusReceiver.class || type == RequestVerifier.class || type == EventSender.class
        || (type == ReportReceiver.class && config.reportUrl() != null)
        ? Optional.of(type.cast(this))
        : Optional.empty();
  }

  /** {@code Parlor-Signature} over the raw body, as on the message endpoint. */
  @Override
  public boolean verify(io.parlor.spi.http.HttpRequest request) {
    return signatures.verify(request.header(Signatures.HEADER).orElse(null), request.body(), context.clock().instant());
  }

  private void setHealth(HealthState state, String reason) {
    health = Health.of(state, reason, context.clock().instant());
    context.healthListener().onHealth(context.networkId(), health);
  }
}
