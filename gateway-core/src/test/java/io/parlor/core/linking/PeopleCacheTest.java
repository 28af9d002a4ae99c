package io.parlor.core.linking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parlor.core.store.SqliteStore;
import io.parlor.spi.envelope.Address;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-memory people cache never answers with what the database no longer says: every change is
 * seen by the next read on either connection, a rolled-back change is never seen, and a
 * transaction sees its own change.
 */
class PeopleCacheTest {
  private static final Address SMS = Address.of("sms:+447700900123");
  private static final Address CHAT = Address.of("chat:alice");
  private static final Address MALLORY = Address.of("chat:mallory");
  @TempDir Path dir;
  private SqliteStore store;

  @BeforeEach
  void open() throws Exception {
    store = SqliteStore.open(dir.resolve("p.db"), 64, new SimpleMeterRegistry());
    write(c -> {
      PeopleTable.upsert(c, Person.fresh("p1", List.of(SMS)), Instant.now());
      return null;
    });
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void aCommittedChangeIsSeenByTheNextReadOnBothConnections() throws Exception {
    // warm the cache on both connections
    assertEquals(List.of(SMS), read(c -> PeopleTable.accounts(c, "p1")));
    assertEquals(List.of(SMS), write(c -> PeopleTable.accounts(c, "p1")));
    assertEquals(Optional.of("p1"), read(c -> PeopleTable.personOf(c, SMS)));
    assertEquals(Optional.empty(), read(c -> PeopleTable.personOf(c, CHAT)));

    write(c -> {
      PeopleTable.upsert(c, Person.fresh("p1", List.of(CHAT)), Instant.now());
      return null;
    });

    assertEquals(List.of(CHAT), read(c -> PeopleTable.accounts(c, "p1")));
    assertEquals(List.of(CHAT), write(c -> PeopleTable.accounts(c, "p1")));
    assertEquals(Optional.empty(), read(c -> PeopleTable.personOf(c, SMS)), "unlinking is seen at once");
    assertEquals(Optional.of("p1"), write(c -> PeopleTable.personOf(c, CHAT)));
  }

  @Test
  void aBlockIsSeenByTheNextMessageAndAnUnblockToo() throws Exception {
    PartyKey mallory = PartyKey.address(MALLORY);
    assertFalse(write(c -> PeopleTable.blocked(c, "p1", mallory)).booleanValue());
    write(c -> {
      PeopleTable.block(c, "p1", MALLORY.value(), true);
      return null;
    });
    assertTrue(write(c -> PeopleTable.blocked(c, "p1", mallory)).booleanValue());
    assertTrue(read(c -> PeopleTable.blocked(c, "p1", mallory)).booleanValue());
    write(c -> {
      PeopleTable.block(c, "p1", MALLORY.value(), false);
      return null;
    });
    assertFalse(write(c -> PeopleTable.blocked(c, "p1", mallory)).booleanValue());
  }

  @Test
  void aTransactionSeesItsOwnChangeAndARolledBackChangeIsNeverSeen() throws Exception {
    assertTrue(read(c -> PeopleTable.find(c, "p1")).orElseThrow().accounts().contains(SMS));
    try {
      write(c -> {
        PeopleTable.upsert(c, new Person("p1", List.of(CHAT), true, ReachableBy.EVERYONE, null, false, null), Instant.now());
        // its own change, not the cached row
        assertEquals(List.of(CHAT), PeopleTable.accounts(c, "p1"));
        assertTrue(PeopleTable.find(c, "p1").orElseThrow().optIn());
        throw new SQLException("the unit fails after its change");
      });
    } catch (ExecutionException expected) {
      // rolled back
    }
    assertEquals(List.of(SMS), write(c -> PeopleTable.accounts(c, "p1")));
    assertEquals(List.of(SMS), read(c -> PeopleTable.accounts(c, "p1")));
    assertFalse(read(c -> PeopleTable.find(c, "p1")).orElseThrow().optIn());
  }

  @Test
  void forgettingAPersonEmptiesTheCache() throws Exception {
    assertTrue(read(c -> PeopleTable.find(c, "p1")).isPresent());
    write(c -> PeopleTable.delete(c, "p1"));
    assertEquals(Optional.empty(), read(c -> PeopleTable.find(c, "p1")));
    assertEquals(Optional.empty(), write(c -> PeopleTable.personOf(c, SMS)));
  }

  private <T> T write(io.parlor.core.store.SqlWork<T> work) throws Exception {
    return store.write(work).get(10, TimeUnit.SECONDS);
  }

  private <T> T read(io.parlor.core.store.SqlWork<T> work) throws Exception {
    return store.read(work).get(10, TimeUnit.SECONDS);
  }
}
