package io.parlor.adapter.whatsapp;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Config of one {@code type: whatsapp} network (contract section 2). Immutable; secrets are
 * redacted from {@link #toString()}.
 *
 * @param phoneNumberId the business phone number's Graph id; messages are sent from it
 * @param accessToken Graph API bearer token (secret)
 * @param appSecret key of the {@code X-Hub-Signature-256} webhook signature (secret)
 * @param verifyToken token the platform echoes in the subscription handshake (secret)
 * @param graphBaseUrl Graph API base, {@code https://graph.facebook.com} unless testing
 * @param graphVersion Graph API version path segment, e.g. {@code v21.0}
 * @param rateLimitPerSecond messages per second from the business number (WhatsApp default 80)
 * @param pairBurst messages one recipient may receive at once (WhatsApp pair burst: 45)
 * @param pairInterval then one message to that recipient per interval (WhatsApp: 6 s)
 * @param requestTimeout how long one Graph API request may take
 * @param messageTemplate the approved template that carries a message to a person outside the
 *     24-hour customer-service window, if any
 * @param codeTemplate the approved authentication template for one-time codes, if any
 */
public record WhatsAppConfig(
    String phoneNumberId,
    String accessToken,
    String appSecret,
    String verifyToken,
    URI graphBaseUrl,
    String graphVersion,
    int rateLimitPerSecond,
    int pairBurst,
    Duration pairInterval,
    Duration requestTimeout,
    java.util.Optional<Template> messageTemplate,
    java.util.Optional<Template> codeTemplate) {

  /**
   * An approved message template.
   *
   * @param name its name
   * @param language its language code, e.g. {@code en} or {@code en_US}
   * @param parameter the name of the body parameter that carries the text (named parameters), or
   *     null for the first positional one ({@code {{1}}})
   */
  public record Template(String name, String language, String parameter) {
    public Template {
      java.util.Objects.requireNonNull(name, "name");
      java.util.Objects.requireNonNull(language, "language");
    }
  }

  /** Without templates. */
  public WhatsAppConfig(
      String phoneNumberId,
      String accessToken,
      String appSecret,
      String verifyToken,
      URI graphBaseUrl,
      String graphVersion,
      int rateLimitPerSecond,
      int pairBurst,
      Duration pairInterval,
      Duration requestTimeout) {
    this(phoneNumberId, accessToken, appSecret, verifyToken, graphBaseUrl, graphVersion, rateLimitPerSecond,
        pairBurst, pairInterval, requestTimeout, java.util.Optional.empty(), java.util.Optional.empty());
  }

  public WhatsAppConfig {
    Objects.requireNonNull(phoneNumberId, "phoneNumberId");
    Objects.requireNonNull(accessToken, "accessToken");
    Objects.requireNonNull(appSecret, "appSecret");
    Objects.requireNonNull(verifyToken, "verifyToken");
    Objects.requireNonNull(graphBaseUrl, "graphBaseUrl");
    Objects.requireNonNull(graphVersion, "graphVersion");
    Objects.requireNonNull(pairInterval, "pairInterval");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(messageTemplate, "messageTemplate");
    Objects.requireNonNull(codeTemplate, "codeTemplate");
  }

  /** {@code {graphBaseUrl}/{graphVersion}/{phoneNumberId}/messages}. */
  URI messagesUri() {
    return graphUri(phoneNumberId + "/messages");
  }

  /** {@code {graphBaseUrl}/{graphVersion}/{path}}. */
  URI graphUri(String path) {
    String base = graphBaseUrl.toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return URI.create(base + "/" + graphVersion + "/" + path);
  }

  @Override
  public String toString() {
    return "WhatsAppConfig[phoneNumberId=" + phoneNumberId
        + ", graphBaseUrl=" + graphBaseUrl
        + ", graphVersion=" + graphVersion
        + ", rateLimitPerSecond=" + rateLimitPerSecond
        + ", pairBurst=" + pairBurst
        + ", pairInterval=" + pairInterval
        + ", requestTimeout=" + requestTimeout
        + ", messageTemplate=" + messageTemplate.map(Template::name).orElse("none")
        + ", codeTemplate=" + codeTemplate.map(Template::name).orElse("none")
        + ", accessToken=<redacted>, appSecret=<redacted>, verifyToken=<redacted>]";
  }
}
