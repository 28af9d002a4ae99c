package io.parlor.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.SqliteStore;
import io.parlor.spi.envelope.Address;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelayTableTest {
  @TempDir Path dir;

  private final RelayTable relays = new RelayTable(new SecureRandom());
  private final PartyKey alice = PartyKey.person("alice");
  private final PartyKey bob = PartyKey.person("bob");
  private final Instant now = Instant.parse("2026-12-01T10:00:00Z");

  @Test
  void aPairKeepsItsHandleAndEachDirectionHasItsOwn() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir.resolve("r.db"), 64, new SimpleMeterRegistry())) {
      Address minted = store.write(c -> relays.handleFor(c, alice, bob, relays.shown(c, alice, bob), now)).get();
      assertEquals(Address.Kind.RELAY, minted.kind());
      Optional<RelayTable.Shown> shown = store.read(c -> relays.shown(c, alice, bob)).get();
      assertEquals(minted, shown.orElseThrow().handle());
      Address again = store.write(c -> relays.handleFor(c, alice, bob, relays.shown(c, alice, bob), now)).get();
      assertEquals(minted, again, "the same pair keeps the same handle");
      Address reverse = store.write(c -> relays.handleFor(c, bob, alice, relays.shown(c, bob, alice), now)).get();
      assertNotEquals(minted, reverse);
      assertTrue(store.read(c -> relays.exists(c, bob, alice)).get());
    }
  }

  @Test
  void aStaleLookupFailsInsteadOfMintingASecondHandleOrLooping() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir.resolve("r.db"), 64, new SimpleMeterRegistry())) {
      Address minted = store.write(c -> relays.handleFor(c, alice, bob, Optional.empty(), now)).get();
      // a caller that looked up before the pair got its handle: refused by UNIQUE(represents, viewer)
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> store.write(c -> relays.handleFor(c, alice, bob, Optional.empty(), now)).get(10, TimeUnit.SECONDS));
      assertInstanceOf(SQLException.class, e.getCause().getCause());
      assertEquals(minted, store.read(c -> relays.shown(c, alice, bob)).get().orElseThrow().handle());
    }
  }
}
