package io.parlor.adapter.xmpp;

import java.time.Duration;
import java.util.Objects;

/**
 * An XMPP network's config ({@code type: xmpp}): Parlor connects to the XMPP server as an external
 * component (XEP-0114) serving {@code component}, a subdomain the server routes to it.
 *
 * @param component the component's domain (e.g. {@code parlor.example.org}); people of other
 *     networks appear as JIDs of it
 * @param host the XMPP server's component listener host
 * @param port its port (Prosody's and ejabberd's default: 5347)
 * @param secret the component secret shared with the server
 * @param maxTextLength the longest message body in characters
 * @param reconnectMin the first wait before reconnecting after the link broke
 * @param reconnectMax the longest wait between reconnect attempts
 * @param keepAlive how long a link may have nothing to read before a ping goes through the server;
 *     three such periods without a stanza end the link
 * @param maxQueued most stanzas waiting to be written before deliveries are refused (retried)
 */
public record XmppConfig(
    String component,
    String host,
    int port,
    String secret,
    int maxTextLength,
    Duration reconnectMin,
    Duration reconnectMax,
    Duration keepAlive,
    int maxQueued) {
  public XmppConfig {
    Objects.requireNonNull(component, "component");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(secret, "secret");
  }

  @Override
  public String toString() {
    return "XmppConfig[component=" + component + ", host=" + host + ", port=" + port + ", secret=<redacted>]";
  }
}
