package io.parlor.adapter.meta;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.Health;
import io.parlor.spi.HealthState;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lifecycle, health and delivery skeleton of an adapter that sends through the Graph API.
 * Thread-safe: subclasses keep no mutable state of their own.
 *
 * <p>There is no persistent connection: the adapter is CONNECTED from {@link #start()} to {@link
 * #stop(Duration)}, and AUTH_FAILED from the moment the Graph API refuses its token or permissions
 * (a failure {@link GraphErrors#isAuthFailure}) until a send succeeds again (the operator fixes
 * the token and restarts). Sends run on the JDK HTTP client (HTTP/1.1) with an executor of two
 * daemon threads ({@code <prefix>-<networkId>-<n>}) this adapter owns and shuts down in {@code
 * stop}; health changes go to the context's health listener under this object's lock.
 *
 * <p>Deliveries pass a {@link RateLimiter} first: when a limit is reached the delivery fails at
 * once with a {@link TransientDeliveryException} carrying the retry-after; nothing waits.
 *
 * @param <S> the network's sender, made per {@link #start()} around the HTTP client
 * @param <P> a delivery the sender has prepared (validated and serialised) for sending
 */
public abstract class GraphAdapter<S extends GraphSender<P>, P extends GraphSender.Prepared> implements Adapter {
  protected final AdapterContext context;
  private final String threadPrefix;
  private final Duration connectTimeout;
  private final RateLimiter limiter;
  private final String senderLimitName;
  private final Object lock = new Object();
  private volatile Health health;
  private ExecutorService executor;
  private volatile S sender;
  private final Capabilities capabilities;
  private final Address self;

  /**
   * @param threadPrefix first part of the executor's thread names (the network type)
   * @param graph the network's Graph settings: the rate limits (the identity's, and each
   *     recipient's burst and interval) and the request timeout (also the connect timeout)
   * @param senderLimitName how a refusal names the sender's rate limit ("business number", "page")
   * @param capabilities what the network can carry
   * @param self the network's single business identity (its messages come from it)
   */
  protected GraphAdapter(AdapterContext context, String threadPrefix, GraphSettings graph, String senderLimitName,
      Capabilities capabilities, Address self) {
    this.context = context;
    this.threadPrefix = threadPrefix;
    this.connectTimeout = graph.requestTimeout();
    this.limiter = new RateLimiter(
        RateLimiter.Limit.perSecond(graph.rateLimitPerSecond()),
        new RateLimiter.Limit(graph.pairBurst(), graph.pairInterval()),
        context.clock());
    this.senderLimitName = senderLimitName;
    this.capabilities = capabilities;
    this.self = self;
    this.health = Health.of(HealthState.STOPPED, "not started", context.clock().instant());
  }

  @Override
  public final Capabilities capabilities() {
    return capabilities;
  }

  /** One business identity: a person writes to it and the reply context says about whom. */
  @Override
  public final SenderPresentation senderPresentation() {
    return new SenderPresentation.SingleIdentity(self);
  }

  /** The platform's webhook at {@code /webhooks/{networkId}}: the subscription handshake (GET) and events (POST). */
  protected final List<HttpRoute> webhookRoutes(HttpRoute.Handler verify, HttpRoute.Handler receive) {
    String path = "/webhooks/" + context.networkId();
    return List.of(new HttpRoute("GET", path, verify), new HttpRoute("POST", path, receive));
  }

  /** The sender for one start..stop, around {@code client}. Called under the lock. */
  protected abstract S newSender(HttpClient client);


  @Override
  public final CompletionStage<Void> start() {
    synchronized (lock) {
      if (executor == null) {
        AtomicInteger n = new AtomicInteger();
        executor =
            Executors.newFixedThreadPool(
                2,
                r -> {
                  Thread t = new Thread(r, threadPrefix + "-" + context.networkId() + "-" + n.incrementAndGet());
                  t.setDaemon(true);
                  return t;
                });
        HttpClient client =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .executor(executor)
                .build();
        sender = newSender(client);
        setHealth(HealthState.CONNECTED, "started");
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public final CompletionStage<Void> stop(Duration grace) {
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
    }, threadPrefix + "-" + context.networkId() + "-stop");
    t.setDaemon(true);
    t.start();
    return done;
  }

  /** The sender while the adapter is started, else empty (for features besides delivery). */
  protected final Optional<S> startedSender() {
    return Optional.ofNullable(sender);
  }

  /** An {@link AdapterUnavailableException} for use when {@link #startedSender()} is empty. */
  protected final AdapterUnavailableException notStarted() {
    return new AdapterUnavailableException("network " + context.networkId() + " is not started");
  }

  @Override
  public final Health health() {
    return health;
  }

  @Override
  public final CompletionStage<DeliveryResult> deliver(Envelope envelope, DeliveryTarget target) {
    S s = sender;
    if (s == null) {
      return CompletableFuture.failedFuture(
          new AdapterUnavailableException("network " + context.networkId() + " is not started"));
    }
    P p;
    try {
      p = s.prepare(envelope, target);
    } catch (PermanentDeliveryException e) {
      return CompletableFuture.failedFuture(e);
    }
    Optional<RateLimiter.Refusal> refusal = limiter.tryAcquire(p.recipientKey());
    if (refusal.isPresent()) {
      RateLimiter.Refusal r = refusal.get();
      String which = r.scope() == RateLimiter.Scope.SENDER ? senderLimitName : "per-recipient";
      return CompletableFuture.failedFuture(
          new TransientDeliveryException(
              p.what() + ": " + which + " rate limit reached", r.retryAfter(), null));
    }
    CompletableFuture<DeliveryResult> result = s.send(p);
    result.whenComplete((ok, err) -> afterSend(err));
    return result;
  }

  private void afterSend(Throwable err) {
    if (err == null) {
      if (health.state() == HealthState.AUTH_FAILED) {
        setHealthIf(HealthState.AUTH_FAILED, HealthState.CONNECTED, "Graph API accepted a send again");
      }
      return;
    }
    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (cause instanceof DeliveryException && GraphErrors.isAuthFailure((DeliveryException) cause)) {
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
