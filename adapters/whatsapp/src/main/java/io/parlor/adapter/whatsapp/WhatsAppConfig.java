package io.parlor.adapter.whatsapp;

import io.parlor.adapter.meta.GraphSettings;
import java.net.URI;
import java.util.Objects;

/**
 * Config of one {@code type: whatsapp} network (contract section 2). Immutable; secrets are
 * redacted from {@link #toString()}.
 *
 * @param phoneNumberId the business phone number's Graph id; messages are sent from it
 * @param graph the Graph platform's settings: credentials (secret), API address and version, send
 *     rate (WhatsApp: 80 a second from the business number; pairs: bursts of 45, then one every 6
 *     s) and request timeout
 * @param messageTemplate the approved template that carries a message to a person outside the
 *     24-hour customer-service window, if any
 * @param codeTemplate the approved authentication template for one-time codes, if any
 */
public record WhatsAppConfig(
    String phoneNumberId,
    GraphSettings graph,
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
  public WhatsAppConfig(String phoneNumberId, GraphSettings graph) {
    this(phoneNumberId, graph, java.util.Optional.empty(), java.util.Optional.empty());
  }

  public WhatsAppConfig {
    Objects.requireNonNull(phoneNumberId, "phoneNumberId");
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(messageTemplate, "messageTemplate");
    Objects.requireNonNull(codeTemplate, "codeTemplate");
  }

  /** {@code {graphBaseUrl}/{graphVersion}/{phoneNumberId}/messages}. */
  URI messagesUri() {
    return graphUri(phoneNumberId + "/messages");
  }

  /** {@code {graphBaseUrl}/{graphVersion}/{path}}. */
  URI graphUri(String path) {
    return graph.graphUri(path);
  }

  @Override
  public String toString() {
    return "WhatsAppConfig[phoneNumberId=" + phoneNumberId + ", " + graph
        + ", messageTemplate=" + messageTemplate.map(Template::name).orElse("none")
        + ", codeTemplate=" + codeTemplate.map(Template::name).orElse("none") + "]";
  }
}
