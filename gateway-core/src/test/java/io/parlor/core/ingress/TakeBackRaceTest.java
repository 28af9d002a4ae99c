package io.parlor.core.ingress;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.SqliteStore;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delete for everyone takes a queued message back; when the message left the queue at that
 * moment (its delivery ended on another writer: another node, or the bookkeeping writer), the
 * unit is not answered "taken back": it fails as a race, and ingress runs it again, which then
 * finds the message delivered and forwards the delete.
 */
class TakeBackRaceTest {
  @TempDir Path dir;

  @Test
  void aMessageThatLeftTheQueueMeanwhileMakesTheUnitRunAgain() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir.resolve("r.db"), 64, new SimpleMeterRegistry())) {
      CompletionException e = assertThrows(CompletionException.class, () -> store.write(c -> {
        MessageTable.takeBack(c, "g-00000000000100000000000000000000");
        return null;
      }).join());
      assertTrue(Ingress.raceWithAnotherNode(e), "run again: " + e);
      assertFalse(Ingress.raceWithAnotherNode(new RuntimeException("something else")));
    }
  }
}
