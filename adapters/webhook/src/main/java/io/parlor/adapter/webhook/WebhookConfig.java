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
    int maxConnections) {

  @Override
  public String toString() {
    return "WebhookConfig[deliveryUrl=" + deliveryUrl + ", secret=<redacted>]";
  }
}
