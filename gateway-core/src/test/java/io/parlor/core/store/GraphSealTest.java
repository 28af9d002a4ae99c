package io.parlor.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parlor.core.config.GatewayConfig;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.core.linking.ReachableBy;
import io.parlor.spi.envelope.Address;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seal of the social graph ({@link GraphSeal}): deterministic, authenticated, bound to its
 * key and version; a SQLite store keeps its key in a file beside it and refuses to start without
 * that key or with another; {@code rotate-graph-key} seals everything under the next version and
 * is refused while another process holds the store.
 */
class GraphSealTest {
  private static final byte[] MASTER = "graph-seal-test-master-key-32-by".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  @Test
  void equalValuesSealEqualAndOpenBackAndNothingElseOpensThem() throws Exception {
    GraphSeal seal = new GraphSeal(MASTER, 1);
    String a = seal.seal("person:alice");
    assertEquals(a, seal.seal("person:alice"), "deterministic: sealed columns join and stay unique");
    assertNotEquals(a, seal.seal("person:alicf"));
    assertTrue(a.startsWith("s1."), a);
    assertTrue(!a.contains("alice"), a);
    assertEquals("person:alice", seal.open(a));
    assertEquals(null, seal.seal(null));

    byte[] other = MASTER.clone();
    other[31] ^= 1;
    java.sql.SQLException wrongKey = assertThrows(java.sql.SQLException.class, () -> new GraphSeal(other, 1).open(a));
    assertTrue(wrongKey.getMessage().contains("does not authenticate"), wrongKey.getMessage());
    GraphSeal v2 = new GraphSeal(MASTER, 2);
    assertNotEquals(a.substring(3), v2.seal("person:alice").substring(3), "each version has its own keys");
    java.sql.SQLException wrongVersion = assertThrows(java.sql.SQLException.class, () -> v2.open(a));
    assertTrue(wrongVersion.getMessage().contains("not under key version 2"), wrongVersion.getMessage());

    char[] tampered = a.toCharArray();
    tampered[10] = tampered[10] == 'A' ? 'B' : 'A'; // (the last character may carry unused bits)
    assertThrows(java.sql.SQLException.class, () -> seal.open(new String(tampered)));
    java.sql.SQLException clear = assertThrows(java.sql.SQLException.class, () -> seal.open("person:alice"));
    assertTrue(clear.getMessage().contains("stored in clear"), clear.getMessage());
    assertEquals("person:alice", GraphSeal.CLEAR.seal("person:alice"));
  }

  private Path db() {
    return dir.resolve("graph.db");
  }

  private Store open() {
    return SqliteStore.open(db(), 64, new SimpleMeterRegistry());
  }

  private static final Address ALICE = Address.of("neta:alice");

  private static Person alice() {
    return new Person("alice", List.of(ALICE), true, ReachableBy.EVERYONE, "alice", false, null);
  }

  private List<String> column(String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db());
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** A store with alice linked, closed: its key file made, its graph sealed. */
  private void linkAlice() throws Exception {
    try (Store store = open()) {
      store.write(c -> {
        PeopleTable.upsert(c, alice(), Instant.now());
        return null;
      }).get();
    }
  }

  @Test
  void aSqliteStoreKeepsItsGraphKeyBesideItAndRefusesToStartWithoutItOrWithAnother() throws Exception {
    linkAlice();
    Store store;
    Path key = SqliteStore.graphKeyFile(db());
    assertEquals(32, Files.size(key));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    assertTrue(column("SELECT address FROM accounts").get(0).startsWith("s1."));

    store = open();
    assertEquals(Optional.of("alice"), store.read(c -> PeopleTable.personOf(c, ALICE)).get());
    store.close();

    byte[] kept = Files.readAllBytes(key);
    Files.delete(key);
    StoreException missing = assertThrows(StoreException.class, this::open);
    assertTrue(missing.getMessage().contains("which is missing"), missing.getMessage());
    assertTrue(!Files.exists(key), "no new key is made for a store sealed under the lost one");

    byte[] other = kept.clone();
    other[0] ^= 1;
    Files.write(key, other);
    StoreException another = assertThrows(StoreException.class, this::open);
    assertTrue(another.getMessage().contains("sealed under another key"), another.getMessage());

    Files.write(key, kept);
    store = open();
    assertEquals(Optional.of("alice"), store.read(c -> PeopleTable.personOf(c, ALICE)).get());
    store.close();
  }

  private GatewayConfig.StoreSettings settings() {
    return settings(Optional.empty());
  }

  private GatewayConfig.StoreSettings settings(Optional<byte[]> key) {
    return new GatewayConfig.StoreSettings("sqlite", db(), null, Optional.empty(), Optional.empty(), 1,
        key, Duration.ofHours(1));
  }

  @Test
  void rotationSealsEverythingUnderTheNextVersionAndIsRefusedWhileAnotherProcessHoldsTheStore() throws Exception {
    linkAlice();
    Store store;
    String before = column("SELECT address FROM accounts").get(0);

    Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(), db().toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      String line = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertEquals("held", line);
      StoreException busy = assertThrows(StoreException.class, () -> GraphKeyRotation.rotate(settings(), Optional.empty()));
      assertTrue(busy.getMessage().contains("another process"), busy.getMessage());
      StoreException node = assertThrows(StoreException.class, this::open);
      assertTrue(node.getMessage().contains("another process"), node.getMessage());
    } finally {
      holder.getOutputStream().close();
      holder.waitFor();
    }
    assertEquals(before, column("SELECT address FROM accounts").get(0), "nothing changed while refused");

    byte[] oldKey = Files.readAllBytes(SqliteStore.graphKeyFile(db()));
    assertEquals(2, GraphKeyRotation.rotate(settings(), Optional.empty()));
    assertTrue(!java.util.Arrays.equals(oldKey, Files.readAllBytes(SqliteStore.graphKeyFile(db()))), "a new key file");
    assertTrue(!Files.exists(SqliteStore.rotatedKeyFile(db())));
    for (String sql : List.of("SELECT address FROM accounts", "SELECT person_id FROM accounts", "SELECT id FROM people",
        "SELECT handle FROM people")) {
      String v = column(sql).get(0);
      assertTrue(v.startsWith("s2."), sql + ": " + v);
    }
    assertEquals(List.of("2"), column("SELECT version FROM graph_seal"));
    store = open();
    assertEquals(Optional.of("alice"), store.read(c -> PeopleTable.personOf(c, ALICE)).get());
    assertEquals(Optional.of("alice"), store.read(c -> PeopleTable.personByHandle(c, "alice")).get());
    assertEquals(List.of(ALICE), store.read(c -> PeopleTable.accounts(c, "alice")).get());
    store.close();
    // a rotation that crashed after its commit, before its new key took the old one's place:
    // running the command again finishes it first (the key the store needs is never dropped)
    byte[] current = Files.readAllBytes(SqliteStore.graphKeyFile(db()));
    byte[] crashed = "graph-seal-test-crashed-key-32by".getBytes(StandardCharsets.US_ASCII);
    Files.write(SqliteStore.rotatedKeyFile(db()), crashed);
    try (Connection c = SqliteStore.connect(db())) {
      assertEquals(3, GraphSeal.rotate(c, Dialect.SQLITE, current, crashed));
    }
    assertEquals(4, GraphKeyRotation.rotate(settings(), Optional.empty()));
    assertTrue(!Files.exists(SqliteStore.rotatedKeyFile(db())));
    // one that crashed before its commit left a key that opens nothing: dropped
    Files.write(SqliteStore.rotatedKeyFile(db()), crashed);
    assertEquals(5, GraphKeyRotation.rotate(settings(), Optional.empty()));
    store = open();
    assertEquals(Optional.of("alice"), store.read(c -> PeopleTable.personOf(c, ALICE)).get());
    store.close();
    // the old key opens it no more
    byte[] newKey = Files.readAllBytes(SqliteStore.graphKeyFile(db()));
    Files.write(SqliteStore.graphKeyFile(db()), oldKey);
    StoreException old = assertThrows(StoreException.class, this::open);
    assertTrue(old.getMessage().contains("sealed under another key"), old.getMessage());
    Files.write(SqliteStore.graphKeyFile(db()), newKey);
  }

  @Test
  void withAnEncryptionKeyRotationTakesTheNewKeyAndWrapsTheQueuedMessagesKeysAgain() throws Exception {
    // a store that began with a key file is sealed again under store.encryptionKey once it is set
    linkAlice();
    Store store;
    PayloadCipher cipher = new PayloadCipher(MASTER, Duration.ofHours(1));
    store = SqliteStore.open(db(), 64, new SimpleMeterRegistry(), cipher);
    PayloadCipher.Sealed sealed = store.write(c -> cipher.seal(c, "g-1", new byte[] {7}, null, Instant.now())).get();
    // the key log's signing seed: the one the key derives, stored wrapped at the first start
    byte[] signing = store.write(c -> PayloadCipher.logSigningSeed(
        c, MASTER, io.parlor.core.keys.LogSigner.derivedSeed(MASTER))).get();
    assertTrue(java.util.Arrays.equals(io.parlor.core.keys.LogSigner.derivedSeed(MASTER), signing));
    assertEquals(Optional.of("alice"), store.read(c -> PeopleTable.personOf(c, ALICE)).get());
    store.close();
    assertEquals(List.of("2"), column("SELECT version FROM graph_seal"), "sealed again under the key");

    byte[] next = "graph-seal-test-the-next-key-32b".getBytes(StandardCharsets.US_ASCII);
    StoreException noKey = assertThrows(StoreException.class,
        () -> GraphKeyRotation.rotate(settings(Optional.of(MASTER)), Optional.empty()));
    assertTrue(noKey.getMessage().contains("give the new key"), noKey.getMessage());
    assertEquals(3, GraphKeyRotation.rotate(settings(Optional.of(MASTER)), Optional.of(next)));

    StoreException stale = assertThrows(StoreException.class,
        () -> SqliteStore.open(db(), 64, new SimpleMeterRegistry(), new PayloadCipher(MASTER, Duration.ofHours(1))));
    assertTrue(stale.getMessage().contains("does not open the store's keys") || stale.getMessage().contains("another key"),
        stale.getMessage());
    PayloadCipher nextCipher = new PayloadCipher(next, Duration.ofHours(1));
    store = SqliteStore.open(db(), 64, new SimpleMeterRegistry(), nextCipher);
    assertEquals(Optional.of("alice"), store.read(c -> PeopleTable.personOf(c, ALICE)).get());
    byte[] opened = store.read(c -> nextCipher.open(c, "g-1", sealed.epoch(), sealed.bytes()).envelope()).get();
    assertEquals(7, opened[0], "a queued message's epoch key, wrapped again, opens it");
    byte[] signingAfter = store.write(c -> PayloadCipher.logSigningSeed(
        c, next, io.parlor.core.keys.LogSigner.derivedSeed(next))).get();
    assertTrue(java.util.Arrays.equals(signing, signingAfter),
        "the key log keeps its signing key across the rotation (auditors keep what they pinned)");
    store.close();
  }
}
