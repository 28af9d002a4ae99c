package io.parlor.adapter.messenger;

import io.parlor.adapter.meta.GraphSettings;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.config.ConfigView;
import java.time.Duration;
import java.util.List;

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
  /** Send API: 300 calls/s per Page (or Instagram account) for text. */
  static final int DEFAULT_RATE_PER_SECOND = 300;
  /**
   * Per-recipient guard. Meta documents no number, only that sending too much into one thread may
   * be throttled; we allow bursts of 10 messages, then one per second.
   */
  static final int DEFAULT_PAIR_BURST = 10;

  static final Duration DEFAULT_PAIR_INTERVAL = Duration.ofSeconds(1);

  @Override
  public String type() {
    return "messenger";
  }

  @Override
  public MessengerConfig parseConfig(ConfigView view) {
    int before = view.problems().size();
    Platform platform =
        Platform.fromWire(view.oneOf("platform", "messenger", List.of("messenger", "instagram")));
    String pageId = GraphSettings.graphId(view, "pageId", "the Facebook Page id (digits, e.g. \"1122334455\")");
    GraphSettings g = GraphSettings.read(view, DEFAULT_RATE_PER_SECOND, DEFAULT_PAIR_BURST, DEFAULT_PAIR_INTERVAL);
    java.util.Optional<String> tag = view.optString("messageTag");
    if (tag.isPresent() && !MESSAGE_TAGS.contains(tag.get())) {
      view.problem("messageTag", "\"" + tag.get() + "\"", "one of " + MESSAGE_TAGS + " (or none)");
    }
    if (view.problems().size() > before) {
      return null;
    }
    return new MessengerConfig(platform, pageId, g, tag);
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
