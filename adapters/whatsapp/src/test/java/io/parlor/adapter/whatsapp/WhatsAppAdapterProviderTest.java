package io.parlor.adapter.whatsapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.Capabilities;
import io.parlor.spi.HealthState;
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

class WhatsAppAdapterProviderTest {
  private final WhatsAppAdapterProvider provider = new WhatsAppAdapterProvider();

  private static Map<String, Object> minimal() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", "whatsapp");
    m.put("type", "whatsapp");
    m.put("phoneNumberId", "106540352242922");
    m.put("accessToken", "EAAG-secret-token");
    m.put("appSecret", "app-secret-value");
    m.put("verifyToken", "verify-me");
    return m;
  }

  private record Parsed(WhatsAppConfig config, List<ConfigProblem> problems) {}

  private Parsed parse(Map<String, Object> values) {
    List<ConfigProblem> problems = new ArrayList<>();
    ConfigView view = ConfigView.root(values, problems);
    view.markRead("id", "type", "region");
    WhatsAppConfig c = provider.parseConfig(view);
    view.reportUnknownKeys();
    return new Parsed(c, problems);
  }

  @Test
  @SuppressWarnings("rawtypes")
  void discoveredByServiceLoader() {
    Set<String> types = ServiceLoader.load(AdapterProvider.class).stream()
        .map(p -> p.get().type()).collect(Collectors.toSet());
    assertTrue(types.contains("whatsapp"), types.toString());
  }

  @Test
  void minimalConfigGetsDefaults() {
    Parsed p = parse(minimal());
    assertEquals(List.of(), p.problems());
    WhatsAppConfig c = p.config();
    assertEquals("106540352242922", c.phoneNumberId());
    assertEquals(URI.create("https://graph.facebook.com"), c.graph().graphBaseUrl());
    assertEquals("v21.0", c.graph().graphVersion());
    assertEquals(80, c.graph().rateLimitPerSecond());
    assertEquals(45, c.graph().pairBurst());
    assertEquals(Duration.ofSeconds(6), c.graph().pairInterval());
    assertEquals(Duration.ofSeconds(10), c.graph().requestTimeout());
    assertEquals(URI.create("https://graph.facebook.com/v21.0/106540352242922/messages"), c.messagesUri());
  }

  @Test
  void optionalKeysAreRead() {
    Map<String, Object> m = minimal();
    m.put("graphBaseUrl", "http://127.0.0.1:8089/");
    m.put("graphVersion", "v22.0");
    m.put("rateLimitPerSecond", 20);
    m.put("pairBurst", 5);
    m.put("pairInterval", "PT2S");
    m.put("requestTimeout", "PT3S");
    Parsed p = parse(m);
    assertEquals(List.of(), p.problems());
    assertEquals(URI.create("http://127.0.0.1:8089/v22.0/106540352242922/messages"), p.config().messagesUri());
    assertEquals(20, p.config().graph().rateLimitPerSecond());
    assertEquals(5, p.config().graph().pairBurst());
    assertEquals(Duration.ofSeconds(2), p.config().graph().pairInterval());
    assertEquals(Duration.ofSeconds(3), p.config().graph().requestTimeout());
  }

  @Test
  void everyProblemIsReportedAndSecretsAreNeverPrinted() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("phoneNumberId", "+44 7700 900123");
    m.put("appSecret", "");
    m.put("graphVersion", "21");
    m.put("graphBaseUrl", "ftp://x");
    m.put("rateLimitPerSecond", 0);
    m.put("pairInterval", "6s");
    m.put("accesToken", "typo-secret");
    Parsed p = parse(m);
    assertNull(p.config());
    Set<String> paths = p.problems().stream().map(ConfigProblem::path).collect(Collectors.toSet());
    assertEquals(
        Set.of("phoneNumberId", "accessToken", "appSecret", "verifyToken", "graphVersion", "graphBaseUrl",
            "rateLimitPerSecond", "pairInterval", "accesToken"),
        paths);
    assertFalse(p.problems().toString().contains("typo-secret"), p.problems().toString());
  }

  @Test
  void toStringRedactsSecrets() {
    String s = parse(minimal()).config().toString();
    assertFalse(s.contains("EAAG-secret-token"), s);
    assertFalse(s.contains("app-secret-value"), s);
    assertFalse(s.contains("verify-me"), s);
    assertTrue(s.contains("<redacted>"));
  }

  @Test
  void createdAdapterDeclaresItsCapabilitiesAndIdentity() {
    var clock = new MetaTestSupport.FakeClock(Instant.parse("2026-11-29T10:00:00Z"));
    var adapter = provider.create(parse(minimal()).config(),
        new AdapterContext(NetworkId.of("wa"), clock, e -> null, (n, h) -> {}));
    Capabilities c = adapter.capabilities();
    assertEquals(Set.of(), c.e2eeSchemes());
    assertEquals(4096 - io.parlor.adapter.meta.SenderLabel.MAX_PREFIX, c.maxTextLength());
    assertEquals(Set.of(io.parlor.spi.envelope.ContentKind.MEDIA, io.parlor.spi.envelope.ContentKind.REACTION,
        io.parlor.spi.envelope.ContentKind.LOCATION), c.content());
    assertEquals(Set.of(io.parlor.spi.envelope.EventKind.READ, io.parlor.spi.envelope.EventKind.TYPING), c.events());
    assertEquals(Level.REJECTED, c.expiry());
    assertEquals(Level.FULL, c.deliveryReceipts());
    assertEquals(Level.FULL, c.replies());
    assertEquals(new SenderPresentation.SingleIdentity(Address.of("wa:106540352242922")), adapter.senderPresentation());
    assertEquals(HealthState.STOPPED, adapter.health().state());
    assertEquals(List.of("GET /webhooks/wa", "POST /webhooks/wa"),
        adapter.routes().stream().map(r -> r.method() + " " + r.path()).toList());
    assertNotNull(provider.exampleConfig());
  }
}
