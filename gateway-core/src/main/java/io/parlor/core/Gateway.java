package io.parlor.core;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.parlor.core.config.GatewayConfig;
import io.parlor.core.delivery.DeliveryScheduler;
import io.parlor.core.delivery.RetryPolicies;
import io.parlor.core.delivery.StatusDispatcher;
import io.parlor.core.http.AdminApi;
import io.parlor.core.http.HttpServerSettings;
import io.parlor.core.http.NettyHttpServer;
import io.parlor.core.http.Routes;
import io.parlor.core.http.UserApi;
import io.parlor.core.http.WebAssets;
import io.parlor.core.linking.CodeSender;
import io.parlor.core.linking.OneTimeCodes;
import io.parlor.core.http.Forgetter;
import io.parlor.core.linking.SendLimiter;
import io.parlor.core.linking.SystemMessages;
import io.parlor.core.media.MediaLinks;
import io.parlor.core.media.MediaProxy;
import io.parlor.core.linking.Sessions;
import io.parlor.core.ingress.Ingress;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.Network;
import io.parlor.core.routing.NetworkRegistry;
import io.parlor.core.routing.RelayTable;
import io.parlor.core.routing.ReplyTable;
import io.parlor.core.routing.ThreadTable;
import io.parlor.core.safety.SafetyLog;
import io.parlor.core.routing.Router;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.Store;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.HealthState;
import io.parlor.spi.SenderPresentation;
import io.parlor.spi.http.HttpRoute;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node: store, adapters, ingress, router, delivery, HTTP server. Created with {@link
 * #start}; {@link #close} drains (stops accepting, lets in-flight work finish, keeps queued
 * messages in the store for the next start).
 *
 * <pre>{@code
 * try (Gateway g = Gateway.start(config, Clock.systemUTC())) {
 *   int port = g.port();
 * }
 * }</pre>
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  private static final Duration CODE_WINDOW = Duration.ofMinutes(10);
  /** Most message snippets kept in memory for reaction fallbacks. */
  private static final int SNIPPETS = 50_000;
  /** Several nodes: how often a node looks for lanes nobody delivers (an expired lease, a lost claim). */
  private static final Duration CLUSTER_POLL = Duration.ofSeconds(1);
  /** Several nodes: a node not seen for this long is gone; its undelivered statuses pass to another. */
  private static final Duration NODE_GONE_AFTER = Duration.ofMinutes(5);

  private final GatewayConfig config;
  private final Store store;
  private final io.parlor.core.store.PayloadCipher cipher; // null: payloads stored as they are
  private final NetworkRegistry networks;
  private final DeliveryScheduler scheduler;
  private final StatusDispatcher statuses;
  private final Ingress ingress;
  /** Set when {@link #close} begins: what fails because the node stops is not a fault. */
  private volatile boolean closing;
  private final NettyHttpServer server;
  private final ScheduledExecutorService housekeeping;
  private final PrometheusMeterRegistry meters;
  private final int port;
  private final Clock clock;
  private final SafetyLog safety;
  private final io.parlor.core.safety.Reporting reporting;
  private final io.parlor.core.safety.Limits limits;
  private final io.parlor.core.delivery.ReceiptBook receipts;
  private final io.parlor.core.conversation.Snippets snippets;
  private final MediaProxy media;

  private Gateway(Builder b) {
    this.config = b.config;
    this.store = b.store;
    this.cipher = b.cipher;
    this.networks = b.networks;
    this.scheduler = b.scheduler;
    this.statuses = b.statuses;
    this.ingress = b.ingress;
    this.server = b.server;
    this.housekeeping = b.housekeeping;
    this.meters = b.meters;
    this.port = b.port;
    this.clock = b.clock;
    this.safety = b.safety;
    this.reporting = b.reporting;
    this.limits = b.limits;
    this.receipts = b.receipts;
    this.snippets = b.snippets;
    this.media = b.media;
  }

  private static final class Builder {
    GatewayConfig config;
    Store store;
    io.parlor.core.store.PayloadCipher cipher;
    NetworkRegistry networks;
    DeliveryScheduler scheduler;
    StatusDispatcher statuses;
    Ingress ingress;
    NettyHttpServer server;
    ScheduledExecutorService housekeeping;
    PrometheusMeterRegistry meters;
    int port;
    Clock clock;
    SafetyLog safety;
    io.parlor.core.safety.Reporting reporting;
    io.parlor.core.safety.Limits limits;
    io.parlor.core.delivery.ReceiptBook receipts;
    io.parlor.core.conversation.Snippets snippets;
    MediaProxy media;
  }

  /** How often the TLS files are checked for a renewal. */
  static final int TLS_CHECK_SECONDS = 2;

  /**
   * What the web page shows of the node's networks: each id, whether it is SMS, an example
   * address, and whether its clients can make messages disappear (timers).
   */
  static byte[] networkList(List<Network> nets) {
    com.fasterxml.jackson.databind.node.ObjectNode root = io.parlor.core.http.Json.object();
    com.fasterxml.jackson.databind.node.ArrayNode arr = root.putArray("networks");
    for (Network n : nets) {
      com.fasterxml.jackson.databind.node.ObjectNode o = arr.addObject();
      String id = n.id().value();
      o.put("id", id);
      o.put("sms", n.type().equals("smpp"));
      o.put("example", id + ":" + switch (n.type()) {
        case "smpp" -> "+447700900123";
        case "whatsapp" -> "+15551234567";
        case "messenger" -> "<your page-scoped id>";
        default -> "alice";
      });
      o.put("timers", n.adapter().capabilities().timerAtMost(io.parlor.spi.envelope.Timer.MAX_SECONDS).isPresent());
    }
    return root.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The node's HTTP port is taken: nothing was started, the store was not touched. */
  public static final class PortInUseException extends RuntimeException {
    public PortInUseException(String bind, int port) {
      super("port " + port + " on " + bind + " is in use");
    }
  }

  /**
   * Fails fast, before the store is opened or any adapter starts, when the HTTP port cannot be
   * bound (another node, or anything else, holds it). A port freed and taken again between this
   * check and the bind is caught there too, and everything started is stopped.
   */
  static void checkPortFree(String bind, int port) {
    if (port == 0) {
      return;
    }
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.setReuseAddress(true); // as Netty binds: a port only in TIME_WAIT is free
      s.bind(new java.net.InetSocketAddress(bind, port));
    } catch (java.io.IOException e) {
      throw new PortInUseException(bind, port);
    }
  }

  /**
   * The operator's key the key log's tree heads are signed with. With a master key: derived from it
   * at the store's first start and stored wrapped by it (every node of a cluster signs alike, the
   * database holds nothing readable of it, and a rotation of the master key keeps it); else kept
   * in a file beside the SQLite store ({@code <store>.log-signing-key}, mode 600, made at the
   * first start).
   */
  private static io.parlor.core.keys.LogSigner logSigner(GatewayConfig.StoreSettings ss, Store store) {
    if (ss.encryptionKey().isPresent()) {
      byte[] key = ss.encryptionKey().get();
      byte[] seed = store.write(c -> io.parlor.core.store.PayloadCipher.logSigningSeed(
          c, key, io.parlor.core.keys.LogSigner.derivedSeed(key))).join();
      try {
        return io.parlor.core.keys.LogSigner.fromSeed(seed);
      } finally {
        java.util.Arrays.fill(seed, (byte) 0);
      }
    }
    java.nio.file.Path file = ss.path().resolveSibling(ss.path().getFileName() + ".log-signing-key");
    try {
      return io.parlor.core.keys.LogSigner.fromFile(file);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("the key log's signing key " + file + " cannot be used: " + e.getMessage(), e);
    }
  }

  /** The seal of this node's social graph at rest (tests read the store's rows through it). */
  public io.parlor.core.store.GraphSeal graphSeal() {
    return store.read(io.parlor.core.store.GraphSeal::of).join();
  }

  /** Starts a node: checks its port, opens the store, starts adapters, recovers the queue, binds HTTP. */
  public static Gateway start(GatewayConfig config, Clock clock) throws InterruptedException {
    checkPortFree(config.http().bind(), config.http().port());
    Builder b = new Builder();
    b.config = config;
    b.clock = clock;
    b.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    b.meters.config().commonTags("node", config.nodeId());
    SecureRandom random = new SecureRandom();
    GatewayConfig.StoreSettings ss = config.store();
    io.parlor.core.store.PayloadCipher cipher = ss.encryptionKey()
        .map(k -> new io.parlor.core.store.PayloadCipher(k, ss.keyEpoch())).orElse(null);
    b.cipher = cipher;
    b.store = ss.postgres()
        ? io.parlor.core.store.PostgresStore.open(
            ss.url(), ss.user(), ss.password(), ss.poolSize(), config.delivery().maxBatch(), b.meters, cipher,
            config.nodeId())
        : io.parlor.core.store.SqliteStore.open(ss.path(), config.delivery().maxBatch(), b.meters, cipher);
    io.parlor.core.keys.LogSigner logSigner;
    try {
      logSigner = logSigner(ss, b.store);
    } catch (RuntimeException e) {
      b.store.close();
      throw e;
    }
    RelayTable relays = new RelayTable(random);

    // Adapters need the ingress sink, the ingress needs the registry: wire through a holder.
    Ingress[] ingressRef = new Ingress[1];
    io.parlor.core.delivery.ReceiptBook[] receiptsRef = new io.parlor.core.delivery.ReceiptBook[1];
    List<Network> nets = new ArrayList<>();
    RetryPolicies.Backoff backoff =
        new RetryPolicies.Backoff(config.delivery().initialBackoff(), config.delivery().maxBackoff());
    io.parlor.core.conversation.Events[] eventsRef = new io.parlor.core.conversation.Events[1];
    for (GatewayConfig.NetworkConfig nc : config.networks()) {
      io.parlor.core.metrics.NetworkMetrics metrics = new io.parlor.core.metrics.NetworkMetrics(b.meters, nc.id().value());
      AdapterContext ctx =
          new AdapterContext(
              nc.id(), clock, env -> ingressRef[0].sinkFor(nc.id()).accept(env),
              (net, health) -> log.info("network {} is {}: {}", net, health.state(), health.reason()),
              receipt -> receiptsRef[0].onReceipt(nc.id(), receipt),
              event -> eventsRef[0].sinkFor(nc.id()).accept(event),
              metrics);
      Adapter adapter = create(nc.provider(), nc.adapterConfig(), ctx);
      nets.add(
          new Network(
              nc.id(), nc.type(), nc.region(), adapter,
              RetryPolicies.retry(nc.id().value(), backoff),
              RetryPolicies.breaker(nc.id().value(), config.delivery().breakerOpenFor())));
      registerAdapterStats(nc.id().value(), adapter, metrics);
      for (HealthState s : HealthState.values()) {
        Gauge.builder(MetricNames.ADAPTER_HEALTH, adapter, a -> a.health().state() == s ? 1 : 0)
            .tag(MetricNames.TAG_NETWORK, nc.id().value())
            .tag(MetricNames.TAG_STATE, s.name())
            .register(b.meters);
      }
    }
    b.networks = new NetworkRegistry(nets);
    b.safety = new SafetyLog(config.metadataRetention(), config.maxNewRecipientsPerHour(), random);
    Router router = new Router(b.networks, relays, java.util.Set.copyOf(config.deniedRegions()));
    b.reporting = new io.parlor.core.safety.Reporting(
        new io.parlor.core.safety.Reports(config.holdAfterReports(), config.metadataRetention(), random),
        relays, b.networks, b.meters, config.metadataRetention());
    b.limits = new io.parlor.core.safety.Limits(config.limits(),
        config.networks().stream().collect(Collectors.toMap(GatewayConfig.NetworkConfig::id, GatewayConfig.NetworkConfig::trust)),
        clock);
    b.statuses = new StatusDispatcher(b.store, b.networks, backoff, b.meters);
    b.receipts = new io.parlor.core.delivery.ReceiptBook(b.store, b.statuses, b.meters);
    receiptsRef[0] = b.receipts;
    b.snippets = new io.parlor.core.conversation.Snippets(SNIPPETS, clock);
    java.util.concurrent.atomic.AtomicReference<java.net.URI> publicUrl = new java.util.concurrent.atomic.AtomicReference<>();
    MediaLinks media = new MediaLinks(publicUrl::get, config.media().linkTtl(), random, clock);
    b.scheduler =
        new DeliveryScheduler(
            new DeliveryScheduler.Deps(
                b.store, router, b.statuses, RetryPolicies.retry("store", backoff), clock, b.meters,
                new DeliveryScheduler.Preparation(b.snippets, media), config.delivery().maxInMemory(),
                b.store.clusterNode()
                    .map(node -> new DeliveryScheduler.Cluster(node, config.delivery().leaseTtl(), CLUSTER_POLL))
                    .orElse(null)));
    SystemMessages system = new SystemMessages(b.networks, clock, random, b.meters);
    io.parlor.core.conversation.ThreadTimers timers = new io.parlor.core.conversation.ThreadTimers(
        new io.parlor.core.conversation.ThreadTimers.Deps(b.store, router, relays, b.scheduler::enqueue, clock,
            config.delivery().maxAge(), random, config.defaultThreadTimer()));
    io.parlor.core.conversation.Explainer explainer =
        new io.parlor.core.conversation.Explainer(system, new SendLimiter(1, Duration.ofHours(1), clock),
            new SendLimiter(10, Duration.ofHours(1), clock));
    b.ingress =
        new Ingress(
            new Ingress.Deps(
                b.store, router, relays, b.scheduler, clock, config.delivery().maxAge(), random, b.meters,
                id -> b.networks.get(id)
                    .map(n -> n.adapter().senderPresentation() instanceof SenderPresentation.SingleIdentity)
                    .orElse(false),
                b.safety,
                b.reporting,
                b.limits,
                new Ingress.Conversations(b.snippets, config.metadataRetention(), b.statuses, explainer::explain, timers,
                    explainer::confirmBlock, explainer::confirmReport),
                config.delivery().maxQueued()));
    ingressRef[0] = b.ingress;
    eventsRef[0] =
        new io.parlor.core.conversation.Events(
            new io.parlor.core.conversation.Events.Deps(b.store, router, relays, b.statuses, b.meters, timers, clock,
                b.reporting));

    // the queue left by a previous run is counted before any adapter can hand over a new message
    int recovered = b.scheduler.recover().toCompletableFuture().join();
    CompletableFuture.allOf(
            nets.stream().map(n -> n.adapter().start().toCompletableFuture()).toArray(CompletableFuture[]::new))
        .join();
    b.scheduler.start();
    b.statuses.recover().toCompletableFuture().join();
    if (recovered > 0) {
      log.info("recovered {} queued messages from the store", recovered);
    }

    List<HttpRoute> routes = new ArrayList<>();
    nets.forEach(n -> routes.addAll(n.adapter().routes()));
    io.parlor.core.groups.Groups groups =
        new io.parlor.core.groups.Groups(
            router, relays, random, config.maxGroupSize(), config.delivery().maxAge(), b.safety, b.meters);
    Forgetter forgetter = new Forgetter(b.store, b.scheduler, b.statuses, clock, b.snippets, groups,
        config.keepReportsAfterForget());
    AdminApi admin =
        new AdminApi(
            new AdminApi.Deps(config.nodeId(), config.adminToken(), b.store, b.networks, b.scheduler, b.statuses, clock, b.meters, forgetter,
                b.reporting, b.limits));
    Gateway[] self = new Gateway[1];
    UserApi users =
        new UserApi(
            new UserApi.Deps(
                b.store, b.networks,
                b.store.clusterNode().isPresent() && ss.encryptionKey().isPresent()
                    ? new OneTimeCodes(random, ss.encryptionKey().get()) : new OneTimeCodes(random),
                new Sessions(random, config.users().sessionTtl()),
                new CodeSender(system, clock),
                new SendLimiter(config.users().codesPerAccount(), CODE_WINDOW, clock),
                new SendLimiter(config.users().codesPerClient(), CODE_WINDOW, clock),
                b.scheduler, b.statuses, random, clock, forgetter, groups, system, router, b.reporting));
    io.parlor.core.keys.KeysApi keys =
        new io.parlor.core.keys.KeysApi(
            b.store, io.parlor.core.keys.KeysApi.verifiersOf(nets), io.parlor.core.keys.KeysApi.schemesOf(nets),
            logSigner, clock);
    Routes dispatcher =
        new Routes(
            new Routes.Deps(
                nets.stream().map(Network::id).collect(Collectors.toSet()), routes, admin, users,
                WebAssets.load(), b.meters, () -> self[0] != null && self[0].ready()),
            keys)
        .networkList(networkList(nets));
    b.media = new MediaProxy(new MediaProxy.Deps(b.store, b.networks, config.media(), clock, b.meters));
    io.parlor.core.http.TlsContext tls = config.http().tls()
        .map(t -> new io.parlor.core.http.TlsContext(t.certificate(), t.privateKey())).orElse(null);
    b.server =
        new NettyHttpServer(
            new HttpServerSettings(
                config.http().bind(), config.http().port(), 256 * 1024, config.http().readTimeout(),
                config.http().idleTimeout(),
                config.http().trustedProxies().stream().map(c -> io.parlor.core.media.Cidr.parse(c).orElseThrow()).toList(),
                tls, config.http().limits().requestDeadline(), config.http().limits().maxConnections(),
                config.http().limits().maxConnectionsPerClient()),
            dispatcher, b.media, b.meters);
    try {
      b.port = b.server.start();
    } catch (Exception e) {
      if (!(e instanceof java.net.BindException)) {
        throw e;
      }
      // taken since the check: undo what started, in reverse
      b.server.close(Duration.ZERO);
      b.networks.all().forEach(n -> n.adapter().stop(Duration.ZERO).toCompletableFuture().join());
      b.store.close();
      throw new PortInUseException(config.http().bind(), config.http().port());
    }
    publicUrl.set(config.http().publicUrl().orElseGet(
        () -> java.net.URI.create((tls == null ? "http" : "https") + "://" + hostLiteral(config.http().bind()) + ":" + b.port)));
    b.housekeeping =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "housekeeping");
              t.setDaemon(true);
              return t;
            });
    Gateway g = new Gateway(b);
    self[0] = g;
    b.housekeeping.scheduleWithFixedDelay(g::housekeep, 1, 60, TimeUnit.SECONDS);
    if (tls != null) {
      // a renewed certificate is picked up within seconds, without a restart
      b.housekeeping.scheduleWithFixedDelay(tls::reloadIfChanged, TLS_CHECK_SECONDS, TLS_CHECK_SECONDS, TimeUnit.SECONDS);
    }
    // delivered and expired messages leave no copy in the WAL for longer than about a second
    b.housekeeping.scheduleWithFixedDelay(
        () -> b.store.checkpointIfDeleted().exceptionally(e -> null), 500, 500, TimeUnit.MILLISECONDS);
    log.info(
        "node {} listening on {}:{} with {} network(s)", config.nodeId(), config.http().bind(), b.port, nets.size());
    if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() < 2) {
      log.warn("the JVM's common pool has 1 thread, so the JDK HTTP client starts a thread per response;"
          + " run with -Djava.util.concurrent.ForkJoinPool.common.parallelism=2 (parlor's Main does)");
    }
    return g;
  }

  /** A bind address as it goes in a URL (IPv6 literals in brackets). */
  private static String hostLiteral(String bind) {
    return bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind;
  }

  /**
   * Exports the stats of an adapter written before the SPI's metrics hook ({@link
   * io.parlor.spi.AdapterStats}, deprecated) as the hook's gauges; a name that is not a constant is
   * skipped with one WARN.
   */
  @SuppressWarnings("deprecation")
  private static void registerAdapterStats(String network, Adapter adapter, io.parlor.spi.AdapterMetrics metrics) {
    adapter.feature(io.parlor.spi.AdapterStats.class).ifPresent(stats -> {
      for (String name : stats.values().keySet()) {
        try {
          metrics.gauge(name, () -> stats.values().get(name));
        } catch (IllegalArgumentException e) {
          log.warn("network {}: an adapter stat is not exported: {}", network, e.getMessage());
        }
      }
    });
  }

  @SuppressWarnings("unchecked")
  private static <C> Adapter create(AdapterProvider<C> provider, Object config, AdapterContext ctx) {
    return provider.create((C) config, ctx);
  }

  /** The bound HTTP port. */
  public int port() {
    return port;
  }

  public PrometheusMeterRegistry meters() {
    return meters;
  }

  public long queueDepth() {
    return scheduler.depth();
  }

  /** Store writable and every adapter started. */
  public boolean ready() {
    return store.writable()
        && networks.all().stream()
            .map(n -> n.adapter().health().state())
            .noneMatch(s -> s == HealthState.STOPPED || s == HealthState.STARTING);
  }

  /**
   * Every node, every minute: a network whose senders drew {@code policy.throttleNetworkAfterReports}
   * reports within the window is throttled as a whole until they age out.
   */
  private CompletableFuture<Void> throttleReportedNetworks() {
    java.time.Instant from = clock.instant().minus(config.metadataRetention());
    return store.read(c -> io.parlor.core.safety.Reports.perNetwork(c, from)).thenAccept(counts -> {
      java.util.Set<io.parlor.spi.envelope.NetworkId> over = new java.util.HashSet<>();
      counts.forEach((net, n) -> {
        if (networks.get(net).isPresent() && n >= config.limits().throttleNetworkAfterReports()) {
          over.add(net);
          if (!limits.throttled(net)) {
            log.warn("network {} is throttled: its senders drew {} reports within the window (threshold {})",
                net, n, config.limits().throttleNetworkAfterReports());
          }
        }
      });
      for (Network n : networks.all()) {
        if (limits.throttled(n.id()) && !over.contains(n.id())) {
          log.info("network {} is no longer throttled", n.id());
        }
      }
      limits.throttle(over);
    }).exceptionally(e -> null); // the store is away: the last answer stands
  }

  private void housekeep() {
    housekeepNow();
  }

  /**
   * One round of housekeeping (run every minute): purges what outlived its window — dedupe keys,
   * references and other reply metadata, codes, sessions, idle threads, media links, safety
   * events, snippets — and truncates the WAL. Completes when done; never fails.
   */
  CompletableFuture<Void> housekeepNow() {
    snippets.purge(); // this node's memory
    limits.sweep();
    CompletableFuture<Void> throttle = throttleReportedNetworks();
    if (!store.leads()) {
      // several nodes on one database: another node runs the cluster's housekeeping; this one
      // forgets the epoch keys it may have shredded
      return cipher == null ? throttle
          : throttle.thenCompose(t -> store.write(c -> {
                cipher.forgetShredded(clock.instant());
                return null;
              })).<Void>thenApply(v -> null).exceptionally(e -> null);
    }
    if (store.clusterNode().isPresent()) {
      // the statuses of a node gone for good are reported by this one
      java.time.Instant gone = clock.instant().minus(NODE_GONE_AFTER);
      statuses.adopt(gone).exceptionally(e -> 0);
    }
    receipts.expire(clock.instant().minus(config.delivery().receiptWait()), clock.instant());
    scheduler.expireSpilled();
    return throttle.thenCompose(t -> store
        .write(
            c ->
                // a dedupe key also leads from a sender's id to the message's reference: it is
                // kept as long as the longer of the two windows
                MessageTable.purgeDedupe(c, clock.instant().minus(longer(config.delivery().dedupeWindow(), config.metadataRetention())))
                    + ReplyTable.purge(c, clock.instant().minus(config.metadataRetention()))
                    + io.parlor.core.routing.ReferenceTable.purgeEnded(c, clock.instant())
                    + OneTimeCodes.purge(c, clock.instant())
                    + Sessions.purge(c, clock.instant())
                    + ThreadTable.expireIdle(c, clock.instant().minus(config.threadTtl()))
                    + MediaLinks.purge(c, clock.instant())
                    + io.parlor.core.groups.GroupTable.expireInvitations(
                        c, clock.instant().minus(io.parlor.core.groups.GroupTable.INVITATION_TTL),
                        clock.instant().minus(config.metadataRetention()), clock.instant())
                    + io.parlor.core.groups.GroupTable.forgetOldAnswers(c, clock.instant().minus(config.metadataRetention()))
                    + safety.purge(c, clock.instant())
                    + reporting.reports().purge(c, clock.instant())
                    + io.parlor.core.delivery.Leases.purgeExpired(c, clock.instant().minus(config.delivery().leaseTtl()))
                    + io.parlor.core.delivery.Leases.purgeNodes(c, clock.instant().minus(Duration.ofDays(1)))
                    // the keys of epochs whose messages are all gone: what is left of them is unreadable
                    + (cipher == null ? 0 : cipher.shred(c, clock.instant())))
        .thenCompose(n -> store.checkpoint()))
        .exceptionally(
            e -> {
              if (io.parlor.core.store.StoreUnavailableException.in(e)) {
                log.debug("housekeeping waits for the store: {}", e.getMessage());
              } else if (closing) {
                log.debug("housekeeping cut short by the node's stop: {}", e.getMessage()); // the next start runs it
              } else {
                log.warn("housekeeping failed", e);
              }
              return null;
            });
  }

  private static Duration longer(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }

  /** Drains: stop accepting, let in-flight requests and deliveries finish, stop adapters. */
  public void close(Duration grace) {
    closing = true;
    log.info("draining");
    server.stopAccepting();
    // answer requests already received (their commits are queued) before closing connections
    ingress.close();
    if (!server.awaitAnswered(Duration.ofSeconds(2))) {
      log.warn("connections closed with requests not answered after 2 s");
    }
    server.close(Duration.ofSeconds(2));
    media.close();
    scheduler.close(grace);
    statuses.close();
    receipts.close();
    housekeeping.shutdownNow();
    try {
      // a round under way hands its work to the store: before the store closes, not after
      if (!housekeeping.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("a housekeeping round did not end within 5 s of the stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    CompletableFuture.allOf(
            networks.all().stream()
                .map(n -> n.adapter().stop(grace).toCompletableFuture())
                .toArray(CompletableFuture[]::new))
        .orTimeout(grace.toMillis() + 1000, TimeUnit.MILLISECONDS)
        .exceptionally(e -> null)
        .join();
    store.close();
    meters.close();
    log.info("stopped");
  }
}
