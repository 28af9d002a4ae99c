package io.parlor.core.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The store contract on PostgreSQL (a real server the test starts, {@link PostgresServer}), and
 * what only PostgreSQL has: one node per database, for now.
 */
class PostgresStoreContractTest extends StoreContract {
  private String url;

  @Override
  Store open(PayloadCipher cipher) {
    url = PostgresServer.shared().newDatabase();
    return reopen(cipher);
  }

  @Override
  Store reopen(PayloadCipher cipher) {
    return PostgresStore.open(url, Optional.of(PostgresServer.USER), Optional.of(PostgresServer.PASSWORD), 4, 64,
        new SimpleMeterRegistry(), cipher);
  }

  @Override
  void setSchemaVersion(int version) throws Exception {
    try (Connection c = PostgresServer.shared().connect(url.substring(url.lastIndexOf('/') + 1));
        Statement st = c.createStatement()) {
      st.execute("UPDATE parlor_schema SET version = " + version);
    }
  }

  @Test
  void aSecondNodeOnTheSameDatabaseRefusesToStartUntilTheFirstStops() throws Exception {
    try (Store first = open()) {
      StoreException e = assertThrows(StoreException.class, this::reopen);
      assertTrue(e.getMessage().contains("another Parlor node is using the database"), e.getMessage());
      assertTrue(first.writable());
    }
    reopen().close(); // the lock went with the first node
  }

  @Test
  void aWrongPasswordIsAClearErrorThatNamesTheDatabaseButNotThePassword() {
    String db = PostgresServer.shared().newDatabase();
    StoreException e = assertThrows(StoreException.class, () -> PostgresStore.open(
        db, Optional.of(PostgresServer.USER), Optional.of("not-the-password"), 4, 64, new SimpleMeterRegistry()));
    assertTrue(e.getMessage().startsWith("cannot open store at " + db), e.getMessage());
    assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
    assertTrue(!e.getMessage().contains("not-the-password"), e.getMessage());
  }
}
