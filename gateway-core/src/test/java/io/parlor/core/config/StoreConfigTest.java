package io.parlor.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.webhook.WebhookAdapterProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code store}: SQLite or PostgreSQL, each wrong key named, the password never printed. */
class StoreConfigTest {
  @TempDir Path dir;

  private static final String KEY = java.util.Base64.getEncoder().encodeToString(new byte[32]);

  private ConfigLoader.Result load(String store) throws Exception {
    Path file = dir.resolve("parlor.yaml");
    Files.writeString(file, "store:\n" + store + "\n");
    return new ConfigLoader(Map.of("DB_PASSWORD", "s3cret-from-env", "STORE_KEY", KEY), List.of(new WebhookAdapterProvider()))
        .load(file);
  }

  private static String problems(ConfigLoader.Result r) {
    return r.problems().toString();
  }

  @Test
  void postgresWithEveryKey() throws Exception {
    ConfigLoader.Result r = load(String.join("\n",
        "  type: postgres", "  url: jdbc:postgresql://db.internal:5432/parlor", "  user: parlor",
        "  password: ${DB_PASSWORD}", "  poolSize: 20", "  encryptionKey: ${STORE_KEY}", "  keyEpoch: PT30M"));
    assertTrue(r.ok(), problems(r));
    GatewayConfig.StoreSettings s = r.config().orElseThrow().store();
    assertTrue(s.postgres());
    assertEquals("jdbc:postgresql://db.internal:5432/parlor", s.url());
    assertEquals("parlor", s.user().orElseThrow());
    assertEquals("s3cret-from-env", s.password().orElseThrow());
    assertEquals(20, s.poolSize());
    assertFalse(s.toString().contains("s3cret"), s.toString());
    assertEquals(32, s.encryptionKey().orElseThrow().length);
    assertEquals(java.time.Duration.ofMinutes(30), s.keyEpoch());
  }

  @Test
  void sqliteStaysTheDefault() throws Exception {
    ConfigLoader.Result r = load("  path: ./data/x.db");
    assertTrue(r.ok(), problems(r));
    assertFalse(r.config().orElseThrow().store().postgres());
    assertEquals(dir.resolve("data/x.db"), r.config().orElseThrow().storePath());
  }

  @Test
  void eachWrongKeyIsNamedAndThePasswordNeverShown() throws Exception {
    String[][] cases = {
      {"  type: postgres", "store.url", "a PostgreSQL JDBC URL"},
      {"  type: postgres\n  url: jdbc:postgresql://db/parlor", "store.encryptionKey", "required with type postgres"},
      {"  encryptionKey: aHVudGVyMg==", "store.encryptionKey", "32 random bytes in base64"},
      {"  encryptionKey: hunter2!", "store.encryptionKey", "32 random bytes in base64"},
      {"  keyEpoch: PT0.1S", "store.keyEpoch", ""},
      {"  type: postgres\n  url: postgresql://db/parlor", "store.url", "a PostgreSQL JDBC URL"},
      {"  type: postgres\n  url: jdbc:postgresql://db/parlor?user=p&password=hunter2", "store.url", "store.password"},
      {"  type: postgres\n  url: jdbc:postgres://db/parlor?password=hunter2", "store.url", "store.password"},
      {"  type: postgres\n  url: jdbc:postgresql://db/parlor\n  path: ./x.db", "store.path", "no path with type postgres"},
      {"  type: postgres\n  url: jdbc:postgresql://db/parlor\n  poolSize: 1", "store.poolSize", ""},
      {"  type: sqlite\n  url: jdbc:postgresql://db/parlor", "store.url", "only with type postgres"},
      {"  password: hunter2", "store.password", "only with type postgres"},
      {"  type: mysql", "store.type", "[sqlite, postgres]"},
    };
    for (String[] c : cases) {
      ConfigLoader.Result r = load(c[0]);
      assertFalse(r.ok(), c[0]);
      assertTrue(r.problems().stream().anyMatch(p -> p.path().equals(c[1]) && p.expected().contains(c[2])),
          c[0] + " -> " + problems(r));
      assertFalse(problems(r).contains("hunter2"), "a password in a problem: " + problems(r));
    }
  }
}
