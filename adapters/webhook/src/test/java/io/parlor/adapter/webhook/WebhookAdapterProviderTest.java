package io.parlor.adapter.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.config.ConfigProblem;
import io.parlor.spi.config.ConfigView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookAdapterProviderTest {
  private final WebhookAdapterProvider provider = new WebhookAdapterProvider();

  private static Map<String, Object> minimal() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", "chatapp");
    m.put("type", "webhook");
    m.put("secret", "0123456789abcdef-secret");
    m.put("deliveryUrl", "https://chat.example/parlor/messages");
    return m;
  }

  private WebhookConfig parse(Map<String, Object> values, List<ConfigProblem> problems) {
    ConfigView view = ConfigView.root(values, problems);
    view.markRead("id", "type", "region");
    WebhookConfig c = provider.parseConfig(view);
    view.reportUnknownKeys();
    return c;
  }

  @Test
  void defaults() {
    List<ConfigProblem> problems = new ArrayList<>();
    WebhookConfig c = parse(minimal(), problems);
    assertTrue(problems.isEmpty(), problems.toString());
    assertNotNull(c);
    assertEquals(Duration.ofSeconds(10), c.requestTimeout());
    assertEquals(32, c.maxConnections());
    assertNull(c.statusUrl());
  }

  @Test
  void maxConnectionsIsReadAndBounded() {
    Map<String, Object> m = minimal();
    m.put("maxConnections", 4);
    List<ConfigProblem> problems = new ArrayList<>();
    assertEquals(4, parse(m, problems).maxConnections());
    assertTrue(problems.isEmpty(), problems.toString());

    m.put("maxConnections", 0);
    problems.clear();
    assertNull(parse(m, problems));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).toString().contains("maxConnections"), "the reject names the field: " + problems);
  }

  @Test
  void statusBatchIsReadBoundedAndNeedsAStatusUrl() {
    Map<String, Object> m = minimal();
    List<ConfigProblem> problems = new ArrayList<>();
    assertEquals(1, parse(m, problems).statusBatch(), "one status a POST unless asked");

    m.put("statusUrl", "https://chat.example/parlor/status");
    m.put("statusBatch", 100);
    assertEquals(100, parse(m, problems).statusBatch());
    assertTrue(problems.isEmpty(), problems.toString());

    for (Object bad : List.of(0, 1001, "many")) {
      m.put("statusBatch", bad);
      problems.clear();
      assertNull(parse(m, problems), "statusBatch " + bad);
      assertEquals(1, problems.size(), problems.toString());
      assertTrue(problems.get(0).toString().contains("statusBatch") && problems.get(0).toString().contains("1 and 1000"),
          "the reject names the field and the range: " + problems);
    }

    m.remove("statusUrl");
    m.put("statusBatch", 50);
    problems.clear();
    assertNull(parse(m, problems));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).toString().contains("statusBatch") && problems.get(0).toString().contains("statusUrl"),
        "a batch size without a status URL is refused, naming both: " + problems);
  }

  @Test
  void exampleConfigDocumentsMaxConnectionsWithItsDefault() {
    assertTrue(provider.exampleConfig().contains("maxConnections: 32"), provider.exampleConfig());
  }
}
