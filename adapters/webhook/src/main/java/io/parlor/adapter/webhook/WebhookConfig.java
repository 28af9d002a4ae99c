package io.parlor.adapter.webhook;

import java.net.URI;
import java.time.Duration;
import java.util.Set;

/**
 * Config of one {@code type: webhook} network (contract section 2).
 *
 * @param secret HMAC key shared with the network
 * @param deliveryUrl where Parlor POSTs messages for the network's users
 * @param statusUrl where Parlor POSTs statuses of messages the network sent; may be null
 * @param e2eeSchemes encryption schemes the network's clients speak
 * @param maxTextLength longest text the network accepts
 * @param expiry whether its clients honour disappearing timers
 * @param timers the only timer durations its clients offer; empty means any
 * @param requestTimeout how long one request (delivery or status) may take, waiting for a
 *     connection included
 * @param maxConnections most connections open at once to one origin (scheme, host, port); more
 *     requests wait for a free one
 * @param content the version 2 content kinds its clients show ({@code capabilities.content})
 * @param events the events it takes ({@code capabilities.events})
 * @param eventsUrl where Parlor POSTs typing indicators; may be null
 * @param reportUrl where Parlor POSTs reports of messages the network sent; may be null
 * @param statusBatch most statuses in one {@code POST {statusUrl}}; 1 (the default) sends each as
 *     its own object (contract 3.3), more sends {@code {"statuses": [...]}}
 */
public record WebhookConfig(
    String secret,
    URI deliveryUrl,
    URI statusUrl,
    Set<String> e2eeSchemes,
    int maxTextLength,
    boolean expiry,
    java.util.List<Duration> timers,
    Duration requestTimeout,
    int maxConnections,
    Set<io.parlor.spi.envelope.ContentKind> content,
    Set<io.parlor.spi.envelope.EventKind> events,
    URI eventsUrl,
    URI reportUrl,
    int statusBatch) {

  /** Most statuses a {@code POST {statusUrl}} may carry ({@code statusBatch}). */
  public static final int MAX_STATUS_BATCH = 1000;

  public WebhookConfig {
    if (statusBatch < 1 || statusBatch > MAX_STATUS_BATCH) {
      throw new IllegalArgumentException("statusBatch must be 1 to " + MAX_STATUS_BATCH + ": " + statusBatch);
    }
  }

  /** A network without a report URL, its statuses one to a POST. */
  public WebhookConfig(
      String secret,
      URI deliveryUrl,
      URI statusUrl,
      Set<String> e2eeSchemes,
      int maxTextLength,
      boolean expiry,
      java.util.List<Duration> timers,
      Duration requestTimeout,
      int maxConnections,
      Set<io.parlor.spi.envelope.ContentKind> content,
      Set<io.parlor.spi.envelope.EventKind> events,
      URI eventsUrl) {
    this(secret, deliveryUrl, statusUrl, e2eeSchemes, maxTextLength, expiry, timers, requestTimeout, maxConnections,
        content, events, eventsUrl, null, 1);
  }

  /** A version 1 network: text only, no events. */
  public WebhookConfig(
      String secret,
      URI deliveryUrl,
      URI statusUrl,
      Set<String> e2eeSchemes,
      int maxTextLength,
      boolean expiry,
      java.util.List<Duration> timers,
      Duration requestTimeout,
      int maxConnections) {
    this(secret, deliveryUrl, statusUrl, e2eeSchemes, maxTextLength, expiry, timers, requestTimeout, maxConnections,
        Set.of(), Set.of(), null);
  }

  @Override
  public String toString() {
    return "WebhookConfig[deliveryUrl=" + deliveryUrl + ", secret=<redacted>]";
  }
}
