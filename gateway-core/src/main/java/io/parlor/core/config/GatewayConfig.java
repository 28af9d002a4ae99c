package io.parlor.core.config;

import io.parlor.spi.AdapterProvider;
import io.parlor.spi.envelope.NetworkId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A node's validated configuration (contract section 2). Immutable.
 *
 * @param nodeId node id, for logs and metrics
 * @param region where this node stores data
 * @param http HTTP server settings
 * @param store where the node keeps its data
 * @param adminToken bearer token for {@code /admin/v1}; empty only when bound to loopback
 * @param metadataRetention how long routing/safety metadata is kept
 * @param deniedRegions regions where sensitive data must not go
 * @param threadTtl relay handles and thread records unused this long are forgotten
 * @param defaultThreadTimer the disappearing-messages timer a new one-to-one thread starts with
 *     (both sides' setting), if any
 * @param maxNewRecipientsPerHour fan-out limit: new conversations one sender may start an hour
 * @param maxGroupSize most members (and pending invitations) a group may have
 * @param holdAfterReports how many different people reporting a sender within the metadata
 *     window hold the sender for review
 * @param limits the volume limits of a {@code standard} network's senders
 * @param keepReportsAfterForget whether forget-me keeps the reports about the person, and their
 *     hold, for their usual retention (where a law requires it; off by default)
 * @param delivery delivery policy settings
 * @param users the user API's settings
 * @param media capability URLs for media held by networks
 * @param logFormat {@code text} or {@code json}
 * @param logLevel error, warn, info or debug
 * @param networks configured networks
 */
public record GatewayConfig(
    String nodeId,
    String region,
    Http http,
    StoreSettings store,
    Optional<String> adminToken,
    Duration metadataRetention,
    List<String> deniedRegions,
    Duration threadTtl,
    Optional<Duration> defaultThreadTimer,
    int maxNewRecipientsPerHour,
    int maxGroupSize,
    int holdAfterReports,
    io.parlor.core.safety.Limits.Settings limits,
    boolean keepReportsAfterForget,
    Delivery delivery,
    Users users,
    Media media,
    String logFormat,
    String logLevel,
    List<NetworkConfig> networks) {

  /** The SQLite file ({@code store.type: sqlite}); null on PostgreSQL. */
  public Path storePath() {
    return store.path();
  }

  /**
   * The store.
   *
   * @param type {@code sqlite} or {@code postgres}
   * @param path the SQLite file (sqlite only)
   * @param url the PostgreSQL JDBC URL (postgres only)
   * @param user the database role (postgres only; the driver's default when empty)
   * @param password its password (postgres only)
   * @param poolSize most connections the node opens to PostgreSQL
   * @param encryptionKey the master key (32 bytes) queued messages' payloads are sealed under, by
   *     way of short-lived epoch keys; required on PostgreSQL
   * @param keyEpoch how long one epoch key seals newly accepted messages
   */
  public record StoreSettings(
      String type, Path path, String url, Optional<String> user, Optional<String> password, int poolSize,
      Optional<byte[]> encryptionKey, Duration keyEpoch) {
    public boolean postgres() {
      return type.equals("postgres");
    }

    @Override
    public String toString() { // never the password
      return postgres() ? "postgres " + url : "sqlite " + path;
    }
  }

  /**
   * User API settings.
   *
   * @param sessionTtl how long a session token lives
   * @param codesPerAccount one-time codes sent to one account per 10 minutes
   * @param codesPerClient one-time codes requested by one client address per 10 minutes
   */
  public record Users(Duration sessionTtl, int codesPerAccount, int codesPerClient) {}

  /**
   * HTTP settings.
   *
   * @param publicUrl the node's URL as networks reach it (capability URLs start with it); empty
   *     for {@code http://<bind>:<port>}
   * @param trustedProxies reverse proxies (CIDR) whose {@code X-Forwarded-For} names the client
   * @param tls the certificate chain and private key (PEM files) to serve HTTPS with, if any
   * @param limits deadlines and caps against clients that hold connections open
   */
  public record Http(String bind, int port, Duration readTimeout, Duration idleTimeout, Optional<java.net.URI> publicUrl,
      List<String> trustedProxies, Optional<Tls> tls, Limits limits) {
    public Http {
      trustedProxies = List.copyOf(trustedProxies);
    }

    public Http(String bind, int port, Duration readTimeout, Duration idleTimeout) {
      this(bind, port, readTimeout, idleTimeout, Optional.empty(), List.of(), Optional.empty(),
          new Limits(Duration.ofSeconds(30), 10_000, 1_000));
    }
  }

  /**
   * @param requestDeadline how long one request may take to arrive whole, headers and body
   * @param maxConnections most open connections of the node
   * @param maxConnectionsPerClient most open connections of one client address (proxies exempt)
   */
  public record Limits(Duration requestDeadline, int maxConnections, int maxConnectionsPerClient) {}

  /** HTTPS: PEM files, reloaded when they change. */
  public record Tls(java.nio.file.Path certificate, java.nio.file.Path privateKey) {}

  /**
   * Media settings (contract part 2, section 2).
   *
   * @param linkTtl how long a capability URL works after the message was delivered
   * @param maxBytes the largest media item the node streams
   * @param allowedPrivateRanges address ranges (CIDR) the node may fetch media from although they
   *     are private, loopback or link-local (SSRF guard; empty by default)
   * @param fetchTimeout how long the source may take to connect and to send each next bytes
   */
  public record Media(Duration linkTtl, int maxBytes, List<String> allowedPrivateRanges, Duration fetchTimeout) {
    public static Media defaults() {
      return new Media(Duration.ofHours(1), 100 * 1024 * 1024, List.of(), Duration.ofSeconds(30));
    }
  }

  /**
   * Delivery settings.
   *
   * @param maxAge longest a message without a timer waits in the queue before it expires
   * @param initialBackoff first retry delay
   * @param maxBackoff longest retry delay
   * @param breakerOpenFor how long a network's circuit stays open before a trial call
   * @param dedupeWindow how long (network, id) pairs are remembered for dedupe
   * @param maxBatch most units of work per store commit
   * @param receiptWait how long to wait for a network's receipt before reporting "delivered"
   * @param leaseTtl several nodes on one database: how long a lane's lease lasts unrenewed (a
   *     dead node's conversations move to another node after this)
   */
  public record Delivery(
      Duration maxAge,
      Duration initialBackoff,
      Duration maxBackoff,
      Duration breakerOpenFor,
      Duration dedupeWindow,
      int maxBatch,
      Duration receiptWait,
      int maxInMemory,
      long maxQueued,
      Duration leaseTtl) {}

  /**
   * One network.
   *
   * @param id network id
   * @param type adapter type
   * @param region where the network stores data
   * @param provider the adapter provider of {@code type}
   * @param adapterConfig the provider's parsed config
   */
  public record NetworkConfig(
      NetworkId id, String type, String region, AdapterProvider<?> provider, Object adapterConfig,
      io.parlor.core.safety.Limits.Trust trust) {}

  @Override
  public String toString() {
    return "GatewayConfig[node=" + nodeId + ", networks=" + networks.size() + "]";
  }
}
