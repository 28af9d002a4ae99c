package io.parlor.adapter.xmpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.AdapterProvider;
import io.parlor.spi.config.ConfigProblem;
import io.parlor.spi.config.ConfigView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class XmppAdapterProviderTest {
  private final XmppAdapterProvider provider = new XmppAdapterProvider();
  private final List<ConfigProblem> problems = new ArrayList<>();

  private XmppConfig parse(Map<String, Object> section) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("networks", List.of(section));
    ConfigView view = ConfigView.root(root, problems).children("networks").get(0);
    view.markRead("id", "type");
    XmppConfig c = provider.parseConfig(view);
    view.reportUnknownKeys();
    return c;
  }

  private static Map<String, Object> minimal() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", "xmpp");
    m.put("type", "xmpp");
    m.put("component", "parlor.example.org");
    m.put("secret", "component-secret-0123456789");
    return m;
  }

  @Test
  void foundByServiceLoaderAsXmpp() {
    assertTrue(ServiceLoader.load(AdapterProvider.class).stream().anyMatch(p -> p.get().type().equals("xmpp")));
  }

  @Test
  void defaultsAreProsodysComponentPortOnLoopback() {
    XmppConfig c = parse(minimal());
    assertNotNull(c, problems.toString());
    assertEquals("127.0.0.1", c.host());
    assertEquals(5347, c.port());
    assertEquals(Duration.ofSeconds(1), c.reconnectMin());
    assertFalse(c.toString().contains("0123456789"), "the secret is never printed");
  }

  @Test
  void everyProblemNamesItsField() {
    Map<String, Object> m = minimal();
    m.put("component", "Not A Domain");
    m.put("secret", "short");
    m.put("port", 70000);
    m.put("colour", "blue");
    assertNull(parse(m));
    String all = problems.toString();
    for (String field : List.of("networks[0].component", "networks[0].secret", "networks[0].port", "networks[0].colour")) {
      assertTrue(all.contains(field), field + " in " + all);
    }
    assertFalse(all.contains("short"), "the secret is never printed: " + all);
  }

  @Test
  void aMaximumWaitShorterThanTheFirstIsRefused() {
    Map<String, Object> m = minimal();
    m.put("reconnectMin", "PT10S");
    m.put("reconnectMax", "PT1S");
    assertNull(parse(m));
    assertTrue(problems.toString().contains("reconnectMax"), problems.toString());
  }
}
