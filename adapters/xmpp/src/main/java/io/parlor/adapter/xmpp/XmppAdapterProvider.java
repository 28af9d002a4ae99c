package io.parlor.adapter.xmpp;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.config.ConfigView;
import java.time.Duration;
import java.util.regex.Pattern;

/** Provider of XMPP networks ({@code type: xmpp}), reached as an external component (XEP-0114). */
public final class XmppAdapterProvider implements AdapterProvider<XmppConfig> {
  private static final Pattern DOMAIN = Pattern.compile("[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)+");

  @Override
  public String type() {
    return "xmpp";
  }

  @Override
  public XmppConfig parseConfig(ConfigView view) {
    int before = view.problems().size();
    String component = view.string("component");
    if (component != null && !DOMAIN.matcher(component).matches()) {
      view.problem("component", ConfigView.quote(component), "a lowercase domain name the XMPP server routes to this component, e.g. parlor.example.org");
    }
    String host = view.string("host", "127.0.0.1");
    int port = view.integer("port", 5347, 1, 65535);
    String secret = view.secret("secret");
    if (secret != null && secret.length() < 16) {
      view.problem("secret", "<redacted>", "at least 16 characters");
    }
    int maxText = view.integer("maxTextLength", 10_000, 1, 100_000);
    Duration min = view.duration("reconnectMin", Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ofMinutes(5));
    Duration max = view.duration("reconnectMax", Duration.ofSeconds(30), Duration.ofMillis(10), Duration.ofMinutes(30));
    Duration keepAlive = view.duration("keepAlive", Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofMinutes(30));
    int maxQueued = view.integer("maxQueued", 10_000, 1, 1_000_000);
    if (view.problems().size() > before) {
      return null;
    }
    if (max.compareTo(min) < 0) {
      view.problem("reconnectMax", max.toString(), "at least reconnectMin (" + min + ")");
      return null;
    }
    return new XmppConfig(component, host, port, secret, maxText, min, max, keepAlive, maxQueued);
  }

  @Override
  public String exampleConfig() {
    return String.join(
        "\n",
        "- id: xmpp                      # accounts are xmpp:alice@example.org (bare JIDs)",
        "  type: xmpp",
        "  component: parlor.example.org # the subdomain the XMPP server routes to Parlor",
        "  host: 127.0.0.1               # the server's component listener (Prosody: component_ports)",
        "  port: 5347",
        "  secret: ${XMPP_COMPONENT_SECRET}   # the server's component_secret (16+ chars)",
        "  maxTextLength: 10000          # optional",
        "  reconnectMin: PT1S            # optional: first wait after the link broke",
        "  reconnectMax: PT30S           # optional: longest wait between attempts",
        "  keepAlive: PT60S              # optional: a ping through the server when nothing was read; 3 silent periods end the link",
        "  maxQueued: 10000              # optional: stanzas waiting to be written before deliveries are retried later",
        "");
  }

  @Override
  public Adapter create(XmppConfig config, AdapterContext context) {
    return new XmppAdapter(config, context);
  }
}
