package io.parlor.adapter.messenger;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.config.ConfigView;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Provider of Messenger Platform networks ({@code type: messenger}), serving Facebook Messenger or
 * Instagram messaging ({@code platform: messenger|instagram}). Stateless and thread-safe.
 *
 * <p>Keys read (besides {@code id}, {@code type} and {@code region}, which the core reads):
 * {@code pageId}, {@code accessToken}, {@code appSecret}, {@code verifyToken} (required), {@code
 * platform}, {@code graphBaseUrl}, {@code graphVersion}, {@code rateLimitPerSecond}, {@code
 * pairBurst}, {@code pairInterval}, {@code requestTimeout} (optional).
 */
public final class MessengerAdapterProvider implements AdapterProvider<MessengerConfig> {
  static final URI DEFAULT_GRAPH_BASE_URL = URI.create("https://graph.facebook.com");
  static final String DEFAULT_GRAPH_VERSION = "v21.0";
  /** Send API: 300 calls/s per Page (or Instagram account) for text. */
  static final int DEFAULT_RATE_PER_SECOND = 300;
  /**
   * Per-recipient guard. Meta documents no number, only that sending too much into one thread may
   * be throttled; we allow bursts of 10 messages, then one per second.
   */
  static final int DEFAULT_PAIR_BURST = 10;

  static final Duration DEFAULT_PAIR_INTERVAL = Duration.ofSeconds(1);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final Pattern GRAPH_ID = Pattern.compile("[0-9]{1,32}");
  private static final Pattern GRAPH_VERSION = Pattern.compile("v[0-9]{1,3}\\.[0-9]{1,3}");

  @Override
  public String type() {
    return "messenger";
  }

  @Override
  public MessengerConfig parseConfig(ConfigView view) {
    int before = view.problems().size();
    Platform platform =
        Platform.fromWire(view.oneOf("platform", "messenger", List.of("messenger", "instagram")));
    String pageId = view.string("pageId");
    if (pageId != null && !GRAPH_ID.matcher(pageId).matches()) {
      view.problem("pageId", "\"" + pageId + "\"", "the Facebook Page id (digits, e.g. \"1122334455\")");
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
    java.util.Optional<String> tag = view.optString("messageTag");
    if (tag.isPresent() && !MESSAGE_TAGS.contains(tag.get())) {
      view.problem("messageTag", "\"" + tag.get() + "\"", "one of " + MESSAGE_TAGS + " (or none)");
    }
    if (view.problems().size() > before) {
      return null;
    }
    return new MessengerConfig(
        platform, pageId, accessToken, appSecret, verifyToken, graphBaseUrl, graphVersion,
        rate, pairBurst, pairInterval, timeout, tag);
  }

  /** Message tags still accepted for sending outside the window (the update tags ended in 2026). */
  static final java.util.List<String> MESSAGE_TAGS = java.util.List.of("HUMAN_AGENT");

  @Override
  public String exampleConfig() {
    return String.join(
        "\n",
        "- id: messenger                 # webhook at /webhooks/messenger; addresses messenger:<psid>",
        "  type: messenger",
        "  platform: messenger           # or instagram (same webhook and Send API shapes)",
        "  pageId: \"1122334455\"          # the Page (for Instagram: the Page linked to the account)",
        "  accessToken: ${FB_PAGE_TOKEN} # Page access token",
        "  appSecret: ${FB_APP_SECRET}   # X-Hub-Signature-256 key",
        "  verifyToken: ${FB_VERIFY_TOKEN}   # echoed by the subscription handshake",
        "  graphBaseUrl: https://graph.facebook.com   # optional; tests point it at a local stub",
        "  graphVersion: v21.0           # optional",
        "  rateLimitPerSecond: 300       # optional: Send API calls/s",
        "  pairBurst: 10                 # optional: messages one recipient may get at once,",
        "  pairInterval: PT1S            #   then one per interval",
        "  requestTimeout: PT10S         # optional",
        "  messageTag: HUMAN_AGENT       # optional: send outside the 24 h window with this tag (Meta's approval needed)",
        "");
  }

  @Override
  public Adapter create(MessengerConfig config, AdapterContext context) {
    return new MessengerAdapter(config, context);
  }
}
