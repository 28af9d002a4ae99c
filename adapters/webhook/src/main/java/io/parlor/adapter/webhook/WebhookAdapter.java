package io.parlor.adapter.webhook;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.Health;
import io.parlor.spi.HealthState;
import io.parlor.spi.Level;
import io.parlor.spi.RequestVerifier;
import io.parlor.spi.StatusReceiver;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.http.HttpRoute;
import io.parlor.spi.json.EnvelopeJson;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network speaking the generic webhook protocol (contract section 3). Thread-safe.
 *
 * <p>There is no persistent connection: the adapter is CONNECTED from {@link #start()} to {@link
 * #stop(Duration)}. Deliveries run on the JDK HTTP client with an executor this adapter owns.
 */
final class WebhookAdapter implements Adapter, StatusReceiver, RequestVerifier {
  private final WebhookConfig config;
  private final AdapterContext context;
  private final Signatures signatures;
  private final Capabilities capabilities;
  private final Object lock = new Object();
  private volatile Health health;
  private ExecutorService executor;
  private WebhookSender sender;

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
            config.timers());
    this.health = Health.of(HealthState.STOPPED, "not started", context.clock().instant());
  }

  @Override
  public CompletionStage<Void> start() {
    synchronized (lock) {
      if (executor == null) {
        AtomicInteger n = new AtomicInteger();
        executor =
            Executors.newFixedThreadPool(
                2,
                r -> {
                  Thread t = new Thread(r, "webhook-" + context.networkId() + "-" + n.incrementAndGet());
                  t.setDaemon(true);
                  return t;
                });
        HttpClient client =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.requestTimeout())
                .executor(executor)
                .build();
        sender = new WebhookSender(client, signatures, context.clock(), config.requestTimeout());
        setHealth(HealthState.CONNECTED, "started");
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> stop(Duration grace) {
    ExecutorService ex;
    synchronized (lock) {
      ex = executor;
      executor = null;
      sender = null;
      if (ex == null) {
        return CompletableFuture.completedFuture(null);
      }
      setHealth(HealthState.STOPPED, "stopped");
    }
    return CompletableFuture.runAsync(
        () -> {
          ex.shutdown();
          try {
            if (!ex.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
              ex.shutdownNow();
            }
          } catch (InterruptedException e) {
            ex.shutdownNow();
            Thread.currentThread().interrupt();
          }
        });
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
    n.put("at", report.at().toString());
    return s.post(config.statusUrl(), n.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
        null, "status of " + report.id());
  }

  @Override
  public List<HttpRoute> routes() {
    WebhookIngress ingress = new WebhookIngress(signatures, context.inbound(), context.clock());
    return List.of(
        new HttpRoute("POST", "/v1/networks/" + context.networkId() + "/messages", ingress::handle));
  }

  @Override
  public <T> Optional<T> feature(Class<T> type) {
    return type == StatusReceiver.class || type == RequestVerifier.class
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
