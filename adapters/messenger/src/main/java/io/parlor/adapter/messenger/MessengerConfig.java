package io.parlor.adapter.messenger;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Config of one {@code type: messenger} network (contract section 2). Immutable; secrets are
 * redacted from {@link #toString()}.
 *
 * @param platform {@code messenger} or {@code instagram}
 * @param pageId the Facebook Page's id (for Instagram: the Page linked to the professional account)
 * @param accessToken Page access token, sent as bearer token (secret)
 * @param appSecret key of the {@code X-Hub-Signature-256} webhook signature (secret)
 * @param verifyToken token the platform echoes in the subscription handshake (secret)
 * @param graphBaseUrl Graph API base, {@code https://graph.facebook.com} unless testing
 * @param graphVersion Graph API version path segment, e.g. {@code v21.0}
 * @param rateLimitPerSecond Send API calls per second (Meta documents 300 for text)
 * @param pairBurst messages one recipient may receive at once
 * @param pairInterval then one message to that recipient per interval
 * @param requestTimeout how long one Send API request may take
 * @param messageTag the message tag a message is sent with when the 24-hour standard messaging
 *     window is closed ({@code HUMAN_AGENT}, which needs Meta's approval), or empty: then such a
 *     message fails with {@code window_closed}
 */
public record MessengerConfig(
    Platform platform,
    String pageId,
    String accessToken,
    String appSecret,
    String verifyToken,
    URI graphBaseUrl,
    String graphVersion,
    int rateLimitPerSecond,
    int pairBurst,
    Duration pairInterval,
    Duration requestTimeout,
    java.util.Optional<String> messageTag) {

  /** Without a message tag. */
  public MessengerConfig(
      Platform platform,
      String pageId,
      String accessToken,
      String appSecret,
      String verifyToken,
      URI graphBaseUrl,
      String graphVersion,
      int rateLimitPerSecond,
      int pairBurst,
      Duration pairInterval,
      Duration requestTimeout) {
    this(platform, pageId, accessToken, appSecret, verifyToken, graphBaseUrl, graphVersion, rateLimitPerSecond,
        pairBurst, pairInterval, requestTimeout, java.util.Optional.empty());
  }

  public MessengerConfig {
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(pageId, "pageId");
    Objects.requireNonNull(accessToken, "accessToken");
    Objects.requireNonNull(appSecret, "appSecret");
    Objects.requireNonNull(verifyToken, "verifyToken");
    Objects.requireNonNull(graphBaseUrl, "graphBaseUrl");
    Objects.requireNonNull(graphVersion, "graphVersion");
    Objects.requireNonNull(pairInterval, "pairInterval");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(messageTag, "messageTag");
  }

  /** {@code {graphBaseUrl}/{graphVersion}/me/messages} (the page token names the page). */
  URI messagesUri() {
    String base = graphBaseUrl.toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return URI.create(base + "/" + graphVersion + "/me/messages");
  }

  @Override
  public String toString() {
    return "MessengerConfig[platform=" + platform.wire()
        + ", pageId=" + pageId
        + ", graphBaseUrl=" + graphBaseUrl
        + ", graphVersion=" + graphVersion
        + ", rateLimitPerSecond=" + rateLimitPerSecond
        + ", pairBurst=" + pairBurst
        + ", pairInterval=" + pairInterval
        + ", requestTimeout=" + requestTimeout
        + ", messageTag=" + messageTag.orElse("none")
        + ", accessToken=<redacted>, appSecret=<redacted>, verifyToken=<redacted>]";
  }
}
