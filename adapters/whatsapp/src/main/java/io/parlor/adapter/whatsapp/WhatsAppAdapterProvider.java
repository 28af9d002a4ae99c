package io.parlor.adapter.whatsapp;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.config.ConfigView;
import java.net.URI;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Provider of WhatsApp Cloud API networks ({@code type: whatsapp}). Stateless and thread-safe.
 *
 * <p>Keys read (besides {@code id}, {@code type} and {@code region}, which the core reads):
 * {@code phoneNumberId}, {@code accessToken}, {@code appSecret}, {@code verifyToken} (required),
 * {@code graphBaseUrl}, {@code graphVersion}, {@code rateLimitPerSecond}, {@code pairBurst},
 * {@code pairInterval}, {@code requestTimeout} (optional).
 */
public final class WhatsAppAdapterProvider implements AdapterProvider<WhatsAppConfig> {
  static final URI DEFAULT_GRAPH_BASE_URL = URI.create("https://graph.facebook.com");
  static final String DEFAULT_GRAPH_VERSION = "v21.0";
  /** WhatsApp Cloud API default throughput per business number. */
  static final int DEFAULT_RATE_PER_SECOND = 80;
  /** WhatsApp pair rate limit: bursts of up to 45 messages, then one every 6 seconds. */
  static final int DEFAULT_PAIR_BURST = 45;

  static final Duration DEFAULT_PAIR_INTERVAL = Duration.ofSeconds(6);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final Pattern GRAPH_ID = Pattern.compile("[0-9]{1,32}");
  private static final Pattern GRAPH_VERSION = Pattern.compile("v[0-9]{1,3}\\.[0-9]{1,3}");

  @Override
  public String type() {
    return "whatsapp";
  }

  @Override
  public WhatsAppConfig parseConfig(ConfigView view) {
    int before = view.problems().size();
    String phoneNumberId = view.string("phoneNumberId");
    if (phoneNumberId != null && !GRAPH_ID.matcher(phoneNumberId).matches()) {
      view.problem("phoneNumberId", "\"" + phoneNumberId + "\"",
          "the business phone number's Graph id (digits, e.g. \"106540352242922\"), not the phone number");
    }
    String accessToken = view.secret("accessToken");
    String appSecret = view.secret("appSecret");
    String verifyToken = view.secret("verifyToken");
    URI graphBaseUrl = view.optUrl("graphBaseUrl").orElse(DEFAULT_GRAPH_BASE_URL);
    String graphVersion = view.string("graphVersion", DEFAULT_GRAPH_VERSION);
    if (!GRAPH_VERSION.matcher(graphVersion).matches()) {
      view.problem("graphVersion", "\"" + graphVersion + "\"", "a Graph API version such as v21.0");
    }
    int rate = view.integer("rateLimitPerSecond", DEFAULT_RATE_PER_SECOND, 1, 10_000);
    int pairBurst = view.integer("pairBurst", DEFAULT_PAIR_BURST, 1, 10_000);
    Duration pairInterval =
        view.duration("pairInterval", DEFAULT_PAIR_INTERVAL, Duration.ofMillis(1), Duration.ofHours(1));
    Duration timeout =
        view.duration("requestTimeout", DEFAULT_TIMEOUT, Duration.ofMillis(100), Duration.ofMinutes(5));
    if (view.problems().size() > before) {
      return null;
    }
    return new WhatsAppConfig(
        phoneNumberId, accessToken, appSecret, verifyToken, graphBaseUrl, graphVersion,
        rate, pairBurst, pairInterval, timeout);
  }

  @Override
  public String exampleConfig() {
    return String.join(
        "\n",
        "- id: whatsapp                  # webhook at /webhooks/whatsapp; addresses whatsapp:+<E.164>",
        "  type: whatsapp",
        "  phoneNumberId: \"106540352242922\"   # Graph id of the business number (not the number)",
        "  accessToken: ${WA_TOKEN}      # Graph API bearer token",
        "  appSecret: ${WA_APP_SECRET}   # X-Hub-Signature-256 key",
        "  verifyToken: ${WA_VERIFY_TOKEN}   # echoed by the subscription handshake",
        "  graphBaseUrl: https://graph.facebook.com   # optional; tests point it at a local stub",
        "  graphVersion: v21.0           # optional",
        "  rateLimitPerSecond: 80        # optional: messages/s from the business number",
        "  pairBurst: 45                 # optional: messages one recipient may get at once,",
        "  pairInterval: PT6S            #   then one per interval (WhatsApp pair rate limit)",
        "  requestTimeout: PT10S         # optional",
        "");
  }

  @Override
  public Adapter create(WhatsAppConfig config, AdapterContext context) {
    return new WhatsAppAdapter(config, context);
  }
}
