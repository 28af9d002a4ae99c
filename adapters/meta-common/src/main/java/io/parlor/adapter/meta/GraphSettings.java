package io.parlor.adapter.meta;

import io.parlor.spi.config.ConfigView;
import java.net.URI;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The config keys every Graph platform network reads: {@code accessToken}, {@code appSecret},
 * {@code verifyToken} (required secrets), {@code graphBaseUrl}, {@code graphVersion}, {@code
 * rateLimitPerSecond}, {@code pairBurst}, {@code pairInterval} and {@code requestTimeout}
 * (optional, with the platform's rate-limit defaults). Immutable; secrets are redacted from
 * {@link #toString()}.
 *
 * @param accessToken Graph API bearer token (secret)
 * @param appSecret key of the {@code X-Hub-Signature-256} webhook signature (secret)
 * @param verifyToken token the platform echoes in the subscription handshake (secret)
 * @param graphBaseUrl Graph API base, {@code https://graph.facebook.com} unless testing
 * @param graphVersion Graph API version path segment, e.g. {@code v21.0}
 * @param rateLimitPerSecond messages a second from the network's identity
 * @param pairBurst messages one recipient may receive at once
 * @param pairInterval then one message to that recipient per interval
 * @param requestTimeout how long one Graph API request may take
 */
public record GraphSettings(
    String accessToken,
    String appSecret,
    String verifyToken,
    URI graphBaseUrl,
    String graphVersion,
    int rateLimitPerSecond,
    int pairBurst,
    Duration pairInterval,
    Duration requestTimeout) {
  public static final URI DEFAULT_GRAPH_BASE_URL = URI.create("https://graph.facebook.com");
  public static final String DEFAULT_GRAPH_VERSION = "v21.0";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  private static final Pattern GRAPH_ID = Pattern.compile("[0-9]{1,32}");
  private static final Pattern GRAPH_VERSION = Pattern.compile("v[0-9]{1,3}\\.[0-9]{1,3}");

  public GraphSettings {
    java.util.Objects.requireNonNull(accessToken, "accessToken");
    java.util.Objects.requireNonNull(appSecret, "appSecret");
    java.util.Objects.requireNonNull(verifyToken, "verifyToken");
    java.util.Objects.requireNonNull(graphBaseUrl, "graphBaseUrl");
    java.util.Objects.requireNonNull(graphVersion, "graphVersion");
    java.util.Objects.requireNonNull(pairInterval, "pairInterval");
    java.util.Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  /** {@code {graphBaseUrl}/{graphVersion}/{path}}. */
  public URI graphUri(String path) {
    String base = graphBaseUrl.toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return URI.create(base + "/" + graphVersion + "/" + path);
  }

  @Override
  public String toString() {
    return "graphBaseUrl=" + graphBaseUrl + ", graphVersion=" + graphVersion + ", rateLimitPerSecond="
        + rateLimitPerSecond + ", pairBurst=" + pairBurst + ", pairInterval=" + pairInterval + ", requestTimeout="
        + requestTimeout + ", accessToken=<redacted>, appSecret=<redacted>, verifyToken=<redacted>";
  }

  /**
   * Reads the shared keys of {@code view}; problems go to the view (the caller checks them), and a
   * missing secret gives null.
   *
   * @param defaultRate the platform's send rate a second
   * @param defaultPairBurst and pair limit: messages one recipient may get at once
   * @param defaultPairInterval then one per this
   */
  public static GraphSettings read(ConfigView view, int defaultRate, int defaultPairBurst, Duration defaultPairInterval) {
    String accessToken = view.secret("accessToken");
    String appSecret = view.secret("appSecret");
    String verifyToken = view.secret("verifyToken");
    URI graphBaseUrl = view.optUrl("graphBaseUrl").orElse(DEFAULT_GRAPH_BASE_URL);
    String graphVersion = view.string("graphVersion", DEFAULT_GRAPH_VERSION);
    if (!GRAPH_VERSION.matcher(graphVersion).matches()) {
      view.problem("graphVersion", "\"" + graphVersion + "\"", "a Graph API version such as v21.0");
    }
    int rate = view.integer("rateLimitPerSecond", defaultRate, 1, 10_000);
    int pairBurst = view.integer("pairBurst", defaultPairBurst, 1, 10_000);
    Duration pairInterval = view.duration("pairInterval", defaultPairInterval, Duration.ofMillis(1), Duration.ofHours(1));
    Duration timeout = view.duration("requestTimeout", DEFAULT_TIMEOUT, Duration.ofMillis(100), Duration.ofMinutes(5));
    if (accessToken == null || appSecret == null || verifyToken == null) {
      return null; // a secret is missing: the view has the problem
    }
    return new GraphSettings(accessToken, appSecret, verifyToken, graphBaseUrl, graphVersion, rate, pairBurst,
        pairInterval, timeout);
  }

  /**
   * Reads the Graph id in {@code key} (digits), naming what it is in the problem when it is not
   * one; null when missing (the view has the problem).
   */
  public static String graphId(ConfigView view, String key, String what) {
    String id = view.string(key);
    if (id != null && !GRAPH_ID.matcher(id).matches()) {
      view.problem(key, "\"" + id + "\"", what);
    }
    return id;
  }
}
