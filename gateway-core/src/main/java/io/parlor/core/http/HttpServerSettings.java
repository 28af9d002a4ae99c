package io.parlor.core.http;

import io.parlor.core.media.Cidr;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the HTTP server.
 *
 * @param bind address to bind
 * @param port port (0 picks a free one)
 * @param maxBodyBytes largest request body; larger gets 413
 * @param readTimeout how long a started request may go without receiving bytes (408 then)
 * @param idleTimeout how long a keep-alive connection may sit idle between requests
 * @param trustedProxies reverse proxies whose {@code X-Forwarded-For} names the client
 * @param tls the node's TLS, or null for plain HTTP
 * @param requestDeadline how long a request may take to arrive whole, headers and body (408 then)
 * @param maxConnections most open connections; at the cap the oldest idle or stalled one makes room
 * @param maxConnectionsPerClient the same, per client address (trusted proxies exempt)
 */
public record HttpServerSettings(
    String bind, int port, int maxBodyBytes, Duration readTimeout, Duration idleTimeout, List<Cidr> trustedProxies,
    TlsContext tls, Duration requestDeadline, int maxConnections, int maxConnectionsPerClient) {

  public HttpServerSettings {
    trustedProxies = List.copyOf(trustedProxies);
  }

  public HttpServerSettings(String bind, int port, int maxBodyBytes, Duration readTimeout, Duration idleTimeout) {
    this(bind, port, maxBodyBytes, readTimeout, idleTimeout, List.of(), null, Duration.ofSeconds(30), 10_000, 1_000);
  }
}
