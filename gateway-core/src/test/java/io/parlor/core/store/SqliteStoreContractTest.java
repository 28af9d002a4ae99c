package io.parlor.core.store;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on SQLite, the embedded default. */
class SqliteStoreContractTest extends StoreContract {
  @TempDir Path dir;

  @Override
  Store open(PayloadCipher cipher) {
    return SqliteStore.open(dir.resolve("contract.db"), 64, new SimpleMeterRegistry(), cipher);
  }

  @Override
  Store reopen(PayloadCipher cipher) {
    return open(cipher);
  }

  @Override
  void setSchemaVersion(int version) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("contract.db"));
        Statement st = c.createStatement()) {
      st.execute("PRAGMA user_version = " + version);
    }
  }
}
