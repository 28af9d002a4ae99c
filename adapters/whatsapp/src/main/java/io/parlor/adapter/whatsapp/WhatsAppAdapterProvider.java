package io.parlor.adapter.whatsapp;

import io.parlor.adapter.meta.GraphSettings;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.config.ConfigView;
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
  /** WhatsApp Cloud API default throughput per business number. */
  static final int DEFAULT_RATE_PER_SECOND = 80;
  /** WhatsApp pair rate limit: bursts of up to 45 messages, then one every 6 seconds. */
  static final int DEFAULT_PAIR_BURST = 45;

  static final Duration DEFAULT_PAIR_INTERVAL = Duration.ofSeconds(6);

  @Override
  public String type() {
    return "whatsapp";
  }

  @Override
  public WhatsAppConfig parseConfig(ConfigView view) {
    int before = view.problems().size();
    String phoneNumberId = GraphSettings.graphId(view, "phoneNumberId",
        "the business phone number's Graph id (digits, e.g. \"106540352242922\"), not the phone number");
    GraphSettings g = GraphSettings.read(view, DEFAULT_RATE_PER_SECOND, DEFAULT_PAIR_BURST, DEFAULT_PAIR_INTERVAL);
    java.util.Optional<WhatsAppConfig.Template> messageTemplate = java.util.Optional.empty();
    java.util.Optional<WhatsAppConfig.Template> codeTemplate = java.util.Optional.empty();
    var templates = view.child("templates");
    if (templates.isPresent()) {
      messageTemplate = template(templates.get(), "message", true);
      codeTemplate = template(templates.get(), "code", false);
      templates.get().reportUnknownKeys();
    }
    if (view.problems().size() > before) {
      return null;
    }
    return new WhatsAppConfig(phoneNumberId, g, messageTemplate, codeTemplate);
  }

  private static final Pattern TEMPLATE_NAME = Pattern.compile("[a-z0-9_]{1,512}");
  private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}(_[A-Z]{2})?");

  /** {@code templates.<key>}: {@code name}, {@code language} and (messages) {@code parameter}. */
  private static java.util.Optional<WhatsAppConfig.Template> template(ConfigView templates, String key, boolean withParameter) {
    var section = templates.child(key);
    if (section.isEmpty()) {
      return java.util.Optional.empty();
    }
    ConfigView t = section.get();
    String name = t.string("name");
    if (name != null && !TEMPLATE_NAME.matcher(name).matches()) {
      t.problem("name", "\"" + name + "\"", "an approved template's name (lower-case letters, digits, _)");
    }
    String language = t.string("language", "en");
    if (!LANGUAGE.matcher(language).matches()) {
      t.problem("language", "\"" + language + "\"", "a template language code such as en or en_US");
    }
    String parameter = withParameter ? t.optString("parameter").orElse(null) : null;
    if (parameter != null && !TEMPLATE_NAME.matcher(parameter).matches()) {
      t.problem("parameter", "\"" + parameter + "\"", "the named body parameter (lower-case letters, digits, _), or none for {{1}}");
    }
    t.reportUnknownKeys();
    return name == null ? java.util.Optional.empty() : java.util.Optional.of(new WhatsAppConfig.Template(name, language, parameter));
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
        "  templates:                    # optional: approved templates for closed windows",
        "    message:                    #   carries a message to someone who did not write in 24 h",
        "      name: parlor_message",
        "      language: en",
        "      parameter: text           #   the named body parameter with the text (none: {{1}})",
        "    code:                       #   an authentication template for one-time codes",
        "      name: parlor_code",
        "      language: en",
        "");
  }

  @Override
  public Adapter create(WhatsAppConfig config, AdapterContext context) {
    return new WhatsAppAdapter(config, context);
  }
}
