package io.parlor.core.safety;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.SqliteStore;
import io.parlor.spi.envelope.NetworkId;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report score, the hold it leads to, an operator's decisions, and retention. */
class ReportsTest {
  @TempDir Path dir;
  private final Duration week = Duration.ofDays(7);
  private final NetworkId chat = NetworkId.of("chat");
  private final PartyKey sam = PartyKey.person("sam");
  private final Instant t0 = Instant.parse("2026-11-02T10:00:00Z");

  @Test
  void differentReportersWithinTheWindowHoldTheSenderUntilReleased() throws Exception {
    Reports reports = new Reports(3, week, new SecureRandom());
    try (SqliteStore store = SqliteStore.open(dir.resolve("r.db"), 16, new SimpleMeterRegistry())) {
      // one person reporting three times is one reporter
      for (int i = 0; i < 3; i++) {
        Instant at = t0.plusSeconds(i);
        assertNull(store.write(c -> reports.file(c, PartyKey.person("bob"), sam, chat, "spam", at)).get().held());
      }
      assertNull(store.write(c -> reports.file(c, PartyKey.person("carol"), sam, chat, "spam", t0)).get().held());
      assertEquals(2L, count(store, "reports"), "one report kept per reporter and sender within the window");
      // a report older than the window no longer counts: dan's alone holds nobody a week later
      Instant later = t0.plus(week).plusSeconds(10);
      Reports.Filed late = store.write(c -> reports.file(c, PartyKey.person("dan"), sam, chat, "spam", later)).get();
      assertEquals(1, late.score());
      assertFalse(store.read(c -> Reports.held(c, sam)).get());
      Reports.Filed third = store.write(c -> {
        reports.file(c, PartyKey.person("erin"), sam, chat, "abuse", later);
        return reports.file(c, PartyKey.address(io.parlor.spi.envelope.Address.of("chat:fay")), sam, chat, "spam", later);
      }).get();
      assertNotNull(third.held(), "three different reporters within the window");
      assertEquals(3, third.held().count());
      assertTrue(store.read(c -> Reports.held(c, sam)).get());
      assertFalse(store.read(c -> Reports.held(c, PartyKey.person("bob"))).get(), "only the reported sender");
      String id = third.held().id();
      assertTrue(id.matches("h-[0-9a-f]{20}"), id);

      // released: reports made before the release no longer count; a confirmed hold holds
      Instant release = later.plusSeconds(60);
      assertEquals(Reports.RELEASED, store.write(c -> Reports.decide(c, id, Reports.RELEASED, release)).get().orElseThrow().state());
      assertFalse(store.read(c -> Reports.held(c, sam)).get());
      Reports.Filed after = store.write(c -> reports.file(c, PartyKey.person("gus"), sam, chat, "spam", release.plusSeconds(1))).get();
      assertEquals(1, after.score());
      assertNull(after.held());
      assertTrue(store.write(c -> Reports.decide(c, "h-00000000000000000000", Reports.CONFIRMED, release)).get().isEmpty());
      assertEquals(Reports.CONFIRMED,
          store.write(c -> Reports.decide(c, id, Reports.CONFIRMED, release.plusSeconds(2))).get().orElseThrow().state());
      assertTrue(store.read(c -> Reports.held(c, sam)).get());

      // retention: reports go after the window; a confirmed hold stays, a released one goes a window after
      Instant purge = release.plus(week).plusSeconds(10);
      store.write(c -> reports.purge(c, purge)).get();
      assertEquals(0L, count(store, "reports"));
      assertEquals(1L, count(store, "holds"), "a confirmed hold stays until an operator releases it");
      store.write(c -> Reports.decide(c, id, Reports.RELEASED, purge)).get();
      store.write(c -> reports.purge(c, purge.plus(week).plusSeconds(1))).get();
      assertEquals(0L, count(store, "holds"));
    }
  }

  /**
   * Forget-me deletes the reports made by the person; those about them and their hold only when
   * the operator is not bound to keep them ({@code policy.keepReportsAfterForget}, off by default).
   */
  @Test
  void forgetMeKeepsTheReportsAboutAPersonOnlyWhereTheLawRequires() throws Exception {
    Reports reports = new Reports(1, week, new SecureRandom());
    try (SqliteStore store = SqliteStore.open(dir.resolve("f.db"), 16, new SimpleMeterRegistry())) {
      store.write(c -> {
        reports.file(c, PartyKey.person("bob"), sam, chat, "spam", t0); // holds sam (threshold 1)
        reports.file(c, sam, PartyKey.person("bob"), chat, "abuse", t0);
        Reports.forget(c, java.util.List.of(sam), true);
        return null;
      }).get();
      assertEquals(1L, count(store, "reports"), "kept: the report about sam; gone: sam's own");
      assertTrue(store.read(c -> Reports.held(c, sam)).get(), "the hold kept");
      store.write(c -> {
        Reports.forget(c, java.util.List.of(sam), false);
        return null;
      }).get();
      assertEquals(0L, count(store, "reports"));
      assertFalse(store.read(c -> Reports.held(c, sam)).get(), "sam's hold gone (bob's, from sam's report, is bob's)");
    }
  }

  private static long count(SqliteStore store, String table) throws Exception {
    return store.read(c -> {
      try (java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
        rs.next();
        return rs.getLong(1);
      }
    }).get();
  }
}
