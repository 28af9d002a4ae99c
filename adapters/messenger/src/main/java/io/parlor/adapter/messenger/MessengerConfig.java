package io.parlor.adapter.messenger;

import io.parlor.adapter.meta.GraphSettings;
import java.net.URI;
import java.util.Objects;

/**
 * Config of one {@code type: messenger} network (contract section 2). Immutable; secrets are
 * redacted from {@link #toString()}.
 *
 * @param platform {@code messenger} or {@code instagram}
 * @param pageId the Facebook Page's id (for Instagram: the Page linked to the professional account)
 * @param graph the Graph platform's settings: credentials (secret; the access token is the Page's),
 *     API address and version, send rate (Meta documents 300 Send API calls a second for text)
 *     and request timeout
 * @param messageTag the message tag a message is sent with when the 24-hour standard messaging
 *     window is closed ({@code HUMAN_AGENT}, which needs Meta's approval), or empty: then such a
 *     message fails with {@code window_closed}
 */
public record MessengerConfig(
    Platform platform,
    String pageId,
    GraphSettings graph,
    java.util.Optional<String> messageTag) {

  /** Without a message tag. */
  public MessengerConfig(Platform platform, String pageId, GraphSettings graph) {
    this(platform, pageId, graph, java.util.Optional.empty());
  }

  public MessengerConfig {
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(pageId, "pageId");
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(messageTag, "messageTag");
  }

  /** {@code {graphBaseUrl}/{graphVersion}/me/messages} (the page token names the page). */
  URI messagesUri() {
    return graph.graphUri("me/messages");
  }

  @Override
  public String toString() {
    return "MessengerConfig[platform=" + platform.wire() + ", pageId=" + pageId + ", " + graph
        + ", messageTag=" + messageTag.orElse("none") + "]";
  }
}
