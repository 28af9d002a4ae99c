package io.parlor.adapter.webhook;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.Capabilities;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.EventKind;
import java.util.EnumSet;
import io.parlor.spi.config.ConfigView;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** Provider of the generic webhook network protocol ({@code type: webhook}). */
public final class WebhookAdapterProvider implements AdapterProvider<WebhookConfig> {

  @Override
  public String type() {
    return "webhook";
  }

  @Override
  public WebhookConfig parseConfig(ConfigView view) {
    int before = view.problems().size();
    String secret = view.secret("secret");
    if (secret != null && secret.length() < 16) {
      view.problem("secret", "<redacted>", "at least 16 characters");
    }
    var deliveryUrl = view.url("deliveryUrl");
    var statusUrl = view.optUrl("statusUrl").orElse(null);
    Duration timeout =
        view.duration("requestTimeout", Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofMinutes(5));
    int maxConnections = view.integer("maxConnections", 32, 1, 1024);
    var eventsUrl = view.optUrl("eventsUrl").orElse(null);
    var reportUrl = view.optUrl("reportUrl").orElse(null);
    int statusBatch = view.integer("statusBatch", 1, 1, WebhookConfig.MAX_STATUS_BATCH);
    Set<ContentKind> content = Set.of();
    Set<EventKind> events = Set.of();
    List<String> e2ee = List.of();
    int maxText = 4096;
    boolean expiry = false;
    List<Duration> timers = new java.util.ArrayList<>();
    var caps = view.child("capabilities");
    if (caps.isPresent()) {
      ConfigView c = caps.get();
      e2ee = c.stringList("e2ee", List.of());
      maxText = c.integer("maxTextLength", 4096, 1, 1_000_000);
      expiry = c.bool("expiry", false);
      content = kinds(c, "content", ContentKind::fromWire, Capabilities.allConversationContent());
      events = kinds(c, "events", EventKind::fromWire, EnumSet.of(EventKind.READ, EventKind.TYPING));
      List<String> raw = c.stringList("timers", List.of());
      for (int i = 0; i < raw.size(); i++) {
        try {
          Duration d = Duration.parse(raw.get(i));
          if (d.isNegative() || d.isZero()) {
            throw new java.time.format.DateTimeParseException("not positive", raw.get(i), 0);
          }
          timers.add(d);
        } catch (java.time.format.DateTimeParseException e) {
          view.problems().add(new io.parlor.spi.config.ConfigProblem(
              c.pathOf("timers") + "[" + i + "]", "\"" + raw.get(i) + "\"", "a positive ISO-8601 duration, e.g. PT24H"));
        }
      }
      c.reportUnknownKeys();
    }
    if (view.problems().size() > before) {
      return null;
    }
    if (events.contains(EventKind.TYPING) && eventsUrl == null) {
      view.problem("eventsUrl", "<missing>", "an absolute http:// or https:// URL (required when capabilities.events lists typing)");
      return null;
    }
    if (statusBatch > 1 && statusUrl == null) {
      view.problem("statusBatch", String.valueOf(statusBatch), "batches statuses to statusUrl, which is not set");
      return null;
    }
    return new WebhookConfig(secret, deliveryUrl, statusUrl, Set.copyOf(e2ee), maxText, expiry, List.copyOf(timers), timeout,
        maxConnections, content, events, eventsUrl, reportUrl, statusBatch);
  }

  /**
   * A list of kinds ({@code text} is always shown and may be listed), each one of {@code allowed};
   * {@code encrypted} is declared by {@code e2ee}.
   */
  private static <K extends Enum<K>> Set<K> kinds(
      ConfigView c, String key, java.util.function.Function<String, java.util.Optional<K>> parse, Set<K> allowed) {
    List<String> raw = c.stringList(key, List.of());
    Set<K> out = new java.util.HashSet<>();
    String names = allowed.stream().map(k -> k.name().toLowerCase(java.util.Locale.ROOT)).sorted().toList().toString();
    for (int i = 0; i < raw.size(); i++) {
      if (key.equals("content") && raw.get(i).equals("text")) {
        continue;
      }
      java.util.Optional<K> k = parse.apply(raw.get(i)).filter(allowed::contains);
      if (k.isEmpty()) {
        c.problems().add(new io.parlor.spi.config.ConfigProblem(
            c.pathOf(key) + "[" + i + "]", "\"" + raw.get(i) + "\"", "one of " + names));
      } else {
        out.add(k.get());
      }
    }
    return Set.copyOf(out);
  }

  @Override
  public String exampleConfig() {
    return String.join(
        "\n",
        "- id: chatapp                   # the network's id used in addresses (chatapp:alice)",
        "  type: webhook",
        "  secret: ${CHATAPP_SECRET}     # HMAC key shared with the network (16+ chars)",
        "  region: eu-west-1",
        "  deliveryUrl: http://127.0.0.1:9101/parlor/messages",
        "  statusUrl: http://127.0.0.1:9101/parlor/status      # optional",
        "  statusBatch: 1                 # optional: up to N statuses a POST, as {\"statuses\": [...]} when N > 1",
        "  eventsUrl: http://127.0.0.1:9101/parlor/events      # optional: typing indicators (capabilities.events: [typing])",
        "  reportUrl: http://127.0.0.1:9101/parlor/reports     # optional: reports of messages the network sent",
        "  requestTimeout: PT10S          # optional",
        "  maxConnections: 32             # optional: most keep-alive connections to one host",
        "  capabilities:",
        "    e2ee: [x25519-aesgcm-v1]",
        "    maxTextLength: 4096",
        "    expiry: true",
        "    timers: [PT24H, P7D, P90D]   # optional: the only timer durations its clients offer",
        "    content: [media, reaction, edit, delete, location]   # optional: v2 kinds its clients show (else text fallbacks)",
        "    events: [read, typing]       # optional: read statuses to statusUrl, typing to eventsUrl",
        "");
  }

  @Override
  public Adapter create(WebhookConfig config, AdapterContext context) {
    return new WebhookAdapter(config, context);
  }
}
