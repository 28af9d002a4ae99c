package io.parlor.adapter.messenger;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.Health;
import io.parlor.spi.HealthState;
import io.parlor.spi.Level;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.SenderPresentation;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.http.HttpRoute;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Facebook Page on Messenger, or one Instagram professional account (through its linked
 * Page), on the Messenger Platform. Thread-safe.
 *
 * <p>There is no persistent connection: the adapter is CONNECTED from {@link #start()} to {@link
 * #stop(Duration)}, and AUTH_FAILED from the moment the Graph API refuses its token or permissions
 * until a send succeeds again (the operator fixes the token and restarts). Sends run on the JDK
 * HTTP client (HTTP/1.1) with an executor this adapter owns and shuts down in {@code stop}.
 *
 * <p>Deliveries pass a {@link RateLimiter} first (the page's Send API rate and a per-recipient
 * rate): when a limit is reached the delivery fails at once with a {@link
 * TransientDeliveryException} carrying the retry-after; nothing waits.
 *
 * <p>Capabilities: no end-to-end encryption (the business API hands plaintext to the business
 * endpoint), no disappearing timers, receipts and replies carried. The text limit leaves room for
 * the sender prefix (see {@link MessengerSender}). Instagram counts its limit in UTF-8 bytes: the
 * declared length is exact for ASCII, and a longer non-ASCII text is refused TOO_LONG at send.
 */
final class MessengerAdapter implements Adapter {
  private final MessengerConfig config;
  private final AdapterContext context;
  private final Capabilities capabilities;
  private final RateLimiter limiter;
  private final Address self;
  private final Object lock = new Object();
  private volatile Health health;
  private ExecutorService executor;
  private volatile MessengerSender sender;

  MessengerAdapter(MessengerConfig config, AdapterContext context) {
    this.config = config;
    this.context = context;
    this.self = Address.account(context.networkId(), config.pageId());
    this.capabilities =
        new Capabilities(
            Set.of(),
            config.platform().maxText() - MessengerSender.MAX_PREFIX,
            Level.REJECTED,
            // delivery events are watermarks, not per-message receipts: hand-over is delivery
            Level.DROPPED,
            Level.FULL);
    this.limiter =
        new RateLimiter(
            RateLimiter.Limit.perSecond(config.rateLimitPerSecond()),
            new RateLimiter.Limit(config.pairBurst(), config.pairInterval()),
            context.clock());
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
                  Thread t = new Thread(r, "messenger-" + context.networkId() + "-" + n.incrementAndGet());
                  t.setDaemon(true);
                  return t;
                });
        HttpClient client =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.requestTimeout())
                .executor(executor)
                .build();
        sender = new MessengerSender(client, config, context.networkId(), context.clock());
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
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      ex.shutdown();
      try {
        if (!ex.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          ex.shutdownNow();
        }
      } catch (InterruptedException e) {
        ex.shutdownNow();
        Thread.currentThread().interrupt();
      }
      done.complete(null);
    }, "messenger-" + context.networkId() + "-stop");
    t.setDaemon(true);
    t.start();
    return done;
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
  public SenderPresentation senderPresentation() {
    return new SenderPresentation.SingleIdentity(self);
  }

  @Override
  public CompletionStage<DeliveryResult> deliver(Envelope envelope, DeliveryTarget target) {
    MessengerSender s = sender;
    if (s == null) {
      return CompletableFuture.failedFuture(
          new AdapterUnavailableException("network " + context.networkId() + " is not started"));
    }
    MessengerSender.Prepared p;
    try {
      p = s.prepare(envelope, target);
    } catch (PermanentDeliveryException e) {
      return CompletableFuture.failedFuture(e);
    }
    Optional<RateLimiter.Refusal> refusal = limiter.tryAcquire(p.recipientId());
    if (refusal.isPresent()) {
      RateLimiter.Refusal r = refusal.get();
      String which = r.scope() == RateLimiter.Scope.SENDER ? "page" : "per-recipient";
      return CompletableFuture.failedFuture(
          new TransientDeliveryException(
              p.what() + ": " + which + " rate limit reached", r.retryAfter(), null));
    }
    CompletableFuture<DeliveryResult> result = s.send(p);
    result.whenComplete((ok, err) -> afterSend(err));
    return result;
  }

  @Override
  public List<HttpRoute> routes() {
    MessengerIngress ingress =
        new MessengerIngress(
            new HubSignature(config.appSecret()),
            config.verifyToken(),
            new MessengerNormalizer(context.networkId(), config.platform(), config.pageId()),
            context.inbound(),
            context.networkId().value());
    String path = "/webhooks/" + context.networkId();
    return List.of(new HttpRoute("GET", path, ingress::verify), new HttpRoute("POST", path, ingress::receive));
  }

  private void afterSend(Throwable err) {
    if (err == null) {
      if (health.state() == HealthState.AUTH_FAILED) {
        setHealthIf(HealthState.AUTH_FAILED, HealthState.CONNECTED, "Graph API accepted a send again");
      }
      return;
    }
    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (cause instanceof DeliveryException && MessengerErrorMapper.isAuthFailure((DeliveryException) cause)) {
      setHealthIf(HealthState.CONNECTED, HealthState.AUTH_FAILED,
          "Graph API refused the access token or its permissions");
    }
  }

  private void setHealthIf(HealthState expected, HealthState state, String reason) {
    synchronized (lock) {
      if (health.state() == expected) {
        setHealth(state, reason);
      }
    }
  }

  private void setHealth(HealthState state, String reason) {
    health = Health.of(state, reason, context.clock().instant());
    context.healthListener().onHealth(context.networkId(), health);
  }
}
