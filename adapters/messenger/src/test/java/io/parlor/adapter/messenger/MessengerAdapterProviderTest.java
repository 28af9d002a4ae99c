package io.parlor.adapter.messenger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.Capabilities;
import io.parlor.spi.Level;
import io.parlor.spi.SenderPresentation;
import io.parlor.spi.config.ConfigProblem;
import io.parlor.spi.config.ConfigView;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.NetworkId;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MessengerAdapterProviderTest {
  private final MessengerAdapterProvider provider = new MessengerAdapterProvider();

  private static Map<String, Object> minimal() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", "messenger");
    m.put("type", "messenger");
    m.put("pageId", "1122334455");
    m.put("accessToken", "EAAG-page-token");
    m.put("appSecret", "app-secret-value");
    m.put("verifyToken", "verify-me");
    return m;
  }

  private record Parsed(MessengerConfig config, List<ConfigProblem> problems) {}

  private Parsed parse(Map<String, Object> values) {
    List<ConfigProblem> problems = new ArrayList<>();
    ConfigView view = ConfigView.root(values, problems);
    view.markRead("id", "type", "region");
    MessengerConfig c = provider.parseConfig(view);
    view.reportUnknownKeys();
    return new Parsed(c, problems);
  }

  @Test
  @SuppressWarnings("rawtypes")
  void discoveredByServiceLoader() {
    Set<String> types = ServiceLoader.load(AdapterProvider.class).stream()
        .map(p -> p.get().type()).collect(Collectors.toSet());
    assertTrue(types.contains("messenger"), types.toString());
  }

  @Test
  void minimalConfigGetsDefaults() {
    Parsed p = parse(minimal());
    assertEquals(List.of(), p.problems());
    MessengerConfig c = p.config();
    assertEquals(Platform.MESSENGER, c.platform());
    assertEquals(300, c.graph().rateLimitPerSecond());
    assertEquals(10, c.graph().pairBurst());
    assertEquals(Duration.ofSeconds(1), c.graph().pairInterval());
    assertEquals(URI.create("https://graph.facebook.com/v21.0/me/messages"), c.messagesUri());
  }

  @Test
  void instagramPlatform() {
    Map<String, Object> m = minimal();
    m.put("platform", "instagram");
    m.put("graphBaseUrl", "http://127.0.0.1:9999");
    m.put("graphVersion", "v22.0");
    Parsed p = parse(m);
    assertEquals(List.of(), p.problems());
    assertEquals(Platform.INSTAGRAM, p.config().platform());
    assertEquals(URI.create("http://127.0.0.1:9999/v22.0/me/messages"), p.config().messagesUri());
  }

  @Test
  void everyProblemIsReportedAndSecretsAreNeverPrinted() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("platform", "whatsapp");
    m.put("pageId", "my-page");
    m.put("accessToken", "EAAG-page-token");
    m.put("requestTimeout", "PT0S");
    Parsed p = parse(m);
    assertNull(p.config());
    assertEquals(Set.of("platform", "pageId", "appSecret", "verifyToken", "requestTimeout"),
        p.problems().stream().map(ConfigProblem::path).collect(Collectors.toSet()));
    assertFalse(p.problems().toString().contains("EAAG-page-token"));
    String s = parse(minimal()).config().toString();
    assertFalse(s.contains("EAAG-page-token") || s.contains("app-secret-value") || s.contains("verify-me"), s);
  }

  @Test
  void capabilitiesAndIdentityPerPlatform() {
    var clock = new MetaTestSupport.FakeClock(Instant.parse("2026-11-29T10:00:00Z"));
    Adapter fb = provider.create(parse(minimal()).config(),
        new AdapterContext(NetworkId.of("messenger"), clock, e -> null, (n, h) -> {}));
    Capabilities c = fb.capabilities();
    assertEquals(Set.of(), c.e2eeSchemes());
    assertEquals(2000 - io.parlor.adapter.meta.SenderLabel.MAX_PREFIX, c.maxTextLength());
    assertEquals(Set.of(io.parlor.spi.envelope.ContentKind.MEDIA, io.parlor.spi.envelope.ContentKind.REACTION), c.content());
    assertEquals(Set.of(io.parlor.spi.envelope.EventKind.READ, io.parlor.spi.envelope.EventKind.TYPING), c.events());
    assertEquals(Level.REJECTED, c.expiry());
    assertEquals(Level.DROPPED, c.deliveryReceipts(), "delivery events are watermarks: hand-over is delivery");
    assertEquals(Level.FULL, c.replies());
    assertEquals(new SenderPresentation.SingleIdentity(Address.of("messenger:1122334455")), fb.senderPresentation());
    assertEquals(List.of("GET /webhooks/messenger", "POST /webhooks/messenger"),
        fb.routes().stream().map(r -> r.method() + " " + r.path()).toList());

    Map<String, Object> m = minimal();
    m.put("platform", "instagram");
    Adapter ig = provider.create(parse(m).config(),
        new AdapterContext(NetworkId.of("instagram"), clock, e -> null, (n, h) -> {}));
    assertEquals(1000 - io.parlor.adapter.meta.SenderLabel.MAX_PREFIX, ig.capabilities().maxTextLength());
    assertEquals(new SenderPresentation.SingleIdentity(Address.of("instagram:1122334455")), ig.senderPresentation());
  }
}
