package io.parlor.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.core.linking.ReachableBy;
import io.parlor.core.store.SqliteStore;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference table keeps nothing naming a person forgotten while a message of theirs (or to
 * them) was on its way: the delivery's bookkeeping commits after forget-me and records nothing.
 */
class ReferenceTableTest {
  @TempDir Path dir;

  private final Instant now = Instant.parse("2026-12-04T10:00:00Z");

  private ReferenceTable.Leg leg(String gid, PartyKey viewer, PartyKey represents) {
    return new ReferenceTable.Leg(gid, NetworkId.of("netb"), gid, viewer, represents, NetworkId.of("neta"),
        MessageId.of("m-" + gid), now, null, null);
  }

  @Test
  void aDeliveryFinishedAfterForgetMeRecordsNothingNamingTheForgotten() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir.resolve("r.db"), 64, new SimpleMeterRegistry())) {
      for (String p : List.of("bob", "carol")) {
        store.write(c -> {
          PeopleTable.upsert(c, new Person(p, List.of(Address.of("neta:" + p)), true, ReachableBy.EVERYONE, null, false,
              null), now);
          return null;
        }).get();
      }
      PartyKey bob = PartyKey.person("bob");
      PartyKey carol = PartyKey.person("carol");
      store.write(c -> PeopleTable.delete(c, "carol")).get();
      // carol's message to bob, and bob's to carol, both delivered just after she was forgotten
      store.write(c -> {
        ReferenceTable.record(c, leg("g-000000000001aaaaaaaaaaaaaaaaaaaa", bob, carol), false, null, null);
        ReferenceTable.record(c, leg("g-000000000002aaaaaaaaaaaaaaaaaaaa", carol, bob), false, null, null);
        ReferenceTable.record(c, leg("g-000000000003aaaaaaaaaaaaaaaaaaaa", bob, PartyKey.address(Address.of("neta:dan"))),
            false, null, null);
        return null;
      }).get();
      long rows = store.read(c -> {
        try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM message_refs")) {
          rs.next();
          return rs.getLong(1);
        }
      }).get();
      assertEquals(1, rows, "only the leg between people who still exist");
      assertTrue(store.read(c -> ReferenceTable.received(c, NetworkId.of("netb"), "g-000000000003aaaaaaaaaaaaaaaaaaaa", bob))
          .get().isPresent());
    }
  }
}
