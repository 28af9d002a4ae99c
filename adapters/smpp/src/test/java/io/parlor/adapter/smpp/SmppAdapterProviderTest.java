package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.Adapter;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class SmppAdapterProviderTest {
  private final SmppAdapterProvider provider = new SmppAdapterProvider();
  private final List<ConfigProblem> problems = new ArrayList<>();

  private SmppConfig parse(Map<String, Object> section) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("networks", List.of(section));
    ConfigView view = ConfigView.root(root, problems).children("networks").get(0);
    view.markRead("id", "type");
    SmppConfig c = provider.parseConfig(view);
    view.reportUnknownKeys();
    return c;
  }

  private static Map<String, Object> minimal() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", "sms");
    m.put("type", "smpp");
    m.put("host", "127.0.0.1");
    m.put("port", 2775);
    m.put("systemId", "gwtest");
    m.put("password", "s3cret");
    return m;
  }

  private static AdapterContext context() {
    return new AdapterContext(NetworkId.of("sms"), new TestClock(),
        e -> CompletableFuture.completedFuture(null), (n, h) -> {});
  }

  @Test
  void isDiscoveredAsTypeSmpp() {
    boolean found = false;
    for (AdapterProvider<?> p : ServiceLoader.load(AdapterProvider.class)) {
      found |= p.type().equals("smpp") && p instanceof SmppAdapterProvider;
    }
    assertTrue(found);
  }

  @Test
  void theContractExampleParsesWithDefaults() {
    SmppConfig c = parse(minimal());
    assertTrue(problems.isEmpty(), problems.toString());
    assertEquals(2775, c.port());
    assertEquals(10, c.window());
    assertEquals(100, c.queueSize());
    assertEquals(Duration.ofSeconds(30), c.enquireLinkInterval());
    assertEquals(Duration.ofSeconds(10), c.responseTimeout());
    assertEquals(Duration.ofSeconds(1), c.reconnectInitial());
    assertEquals(Duration.ofMinutes(1), c.reconnectMax());
    assertEquals(10, c.maxParts());
    assertEquals(SmppConfig.BindType.TRANSCEIVER, c.bindType());
    assertEquals(SmppConfig.ValidityFormat.RELATIVE, c.validityFormat());
    assertEquals("", c.source().address());
    assertFalse(c.toString().contains("s3cret"));
  }

  @Test
  void readsEveryKey() {
    Map<String, Object> m = minimal();
    m.put("systemType", "cmt");
    m.put("sourceAddress", "+447700900000");
    m.put("numberPool", List.of("+447700900001", 447700900002L));
    m.put("window", 20);
    m.put("queueSize", 0);
    m.put("enquireLinkInterval", "PT15S");
    m.put("responseTimeout", "PT5S");
    m.put("reconnectBackoff", Map.of("initial", "PT2S", "max", "PT30S"));
    m.put("maxParts", 4);
    m.put("bindType", "transmitter-receiver");
    m.put("validityFormat", "absolute");
    m.put("reassemblyTimeout", "PT1M");
    SmppConfig c = parse(m);
    assertTrue(problems.isEmpty(), problems.toString());
    assertEquals(new SmppConfig.Source("447700900000", 1, 1), c.source());
    assertEquals(List.of("+447700900001", "+447700900002"), c.numberPool());
    assertEquals(20, c.window());
    assertEquals(0, c.queueSize());
    assertEquals(Duration.ofSeconds(2), c.reconnectInitial());
    assertEquals(Duration.ofSeconds(30), c.reconnectMax());
    assertEquals(4, c.maxParts());
    assertEquals(SmppConfig.BindType.TRANSMITTER_RECEIVER, c.bindType());
    assertEquals(SmppConfig.ValidityFormat.ABSOLUTE, c.validityFormat());
  }

  @Test
  void derivesSourceTonAndNpi() {
    Map<String, Object> m = minimal();
    m.put("sourceAddress", "12345");
    assertEquals(new SmppConfig.Source("12345", 0, 1), parse(m).source());
    m.put("sourceAddress", "Parlor");
    assertEquals(new SmppConfig.Source("Parlor", 5, 0), parse(m).source());
    m.put("sourceTon", 3);
    m.put("sourceNpi", 0);
    assertEquals(new SmppConfig.Source("Parlor", 3, 0), parse(m).source());
  }

  @Test
  void reportsEveryProblemWithItsPathAndNeverThePassword() {
    Map<String, Object> m = minimal();
    m.remove("host");
    m.put("password", "muchtoolongpassword");
    m.put("systemId", "a-system-id-longer-than-15");
    m.put("window", 0);
    m.put("numberPool", List.of("+44abc"));
    m.put("bindType", "receiver");
    m.put("sourceNpi", 2);
    m.put("colour", "blue");
    assertNull(parse(m));
    String all = problems.toString();
    assertTrue(all.contains("networks[0].host: <missing>"), all);
    assertTrue(all.contains("networks[0].password: <redacted>"), all);
    assertTrue(all.contains("networks[0].systemId"), all);
    assertTrue(all.contains("networks[0].window"), all);
    assertTrue(all.contains("networks[0].numberPool[0]"), all);
    assertTrue(all.contains("networks[0].bindType"), all);
    assertTrue(all.contains("networks[0].sourceNpi"), all);
    assertTrue(all.contains("networks[0].colour: <unknown key>"), all);
    assertFalse(all.contains("muchtoolongpassword"), all);
  }

  @Test
  void declaresPlainTextCapabilities() {
    Adapter a = provider.create(parse(minimal()), context());
    Capabilities c = a.capabilities();
    assertTrue(c.e2eeSchemes().isEmpty());
    assertEquals(1530, c.maxTextLength());
    assertEquals(Level.REJECTED, c.expiry());
    assertEquals(Level.FULL, c.deliveryReceipts());
    assertEquals(Level.DROPPED, c.replies());
    assertEquals(HealthState.STOPPED, a.health().state());
  }

  @Test
  void presentsTheNumberPoolOrTheSingleShortCode() {
    Map<String, Object> m = minimal();
    m.put("sourceAddress", "12345");
    assertEquals(new SenderPresentation.SingleIdentity(Address.of("sms:12345"), false),
        provider.create(parse(m), context()).senderPresentation());
    m.put("numberPool", List.of("+447700900001", "+447700900002"));
    SenderPresentation.NumberPool pool = assertInstanceOf(SenderPresentation.NumberPool.class,
        provider.create(parse(m), context()).senderPresentation());
    assertEquals(List.of(Address.of("sms:+447700900001"), Address.of("sms:+447700900002")), pool.pool());
  }

  @Test
  void hasAnExampleConfig() {
    assertNotNull(provider.exampleConfig());
    assertTrue(provider.exampleConfig().contains("type: smpp"));
  }
}
