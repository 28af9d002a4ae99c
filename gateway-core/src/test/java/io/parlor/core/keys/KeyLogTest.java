package io.parlor.core.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.NetworkId;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.XECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The key log on an in-memory SQLite database: no sockets, no files. */
class KeyLogTest {
  private static final String SCHEME = PublicKeys.X25519_AESGCM_V1;
  private static final NetworkId NETB = NetworkId.of("netb");
  private static final NetworkId NETC = NetworkId.of("netc");
  private static final Address BOB = Address.of("netb:bob");
  private static final Address CAROL = Address.of("netc:carol");
  private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

  Connection c;

  @BeforeEach
  void open() throws SQLException {
    c = DriverManager.getConnection("jdbc:sqlite::memory:");
    try (Statement st = c.createStatement()) {
      st.execute("PRAGMA foreign_keys=ON");
      KeyLog.createSchema(st);
      KeyLog.createSchema(st); // idempotent
      MerkleTree.createSchema(st, io.parlor.core.store.Dialect.SQLITE);
    }
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
  }

  private static KeyPair x25519() throws GeneralSecurityException {
    return KeyPairGenerator.getInstance("X25519").generateKeyPair();
  }

  private static byte[] raw(KeyPair kp) {
    return PublicKeys.encodeU(((XECPublicKey) kp.getPublic()).getU());
  }

  /** Three entries: Bob's key, Carol's key, Bob's rotated key. */
  private List<byte[]> threeEntries() throws Exception {
    byte[] bob1 = raw(x25519());
    byte[] carol = raw(x25519());
    byte[] bob2 = raw(x25519());
    KeyLog.append(c, NETB, BOB, SCHEME, bob1, T0);
    KeyLog.append(c, NETC, CAROL, SCHEME, carol, T0.plusSeconds(1));
    KeyLog.append(c, NETB, BOB, SCHEME, bob2, T0.plusSeconds(2));
    return List.of(bob1, carol, bob2);
  }

  @Test
  void appendedEntriesFormAVerifiableChainAndTheLatestKeyIsCurrent() throws Exception {
    assertEquals(0, KeyLog.head(c).seq());
    assertArrayEquals(new byte[32], KeyLog.head(c).entryHash());
    List<byte[]> keys = threeEntries();

    List<KeyLog.Entry> all = KeyLog.entries(c, 1, 100);
    assertEquals(3, all.size());
    assertEquals(List.of(1L, 2L, 3L), all.stream().map(KeyLog.Entry::seq).toList());
    assertArrayEquals(KeyLog.genesis(), all.get(0).prevHash());
    assertArrayEquals(all.get(0).entryHash(), all.get(1).prevHash());
    assertArrayEquals(all.get(1).entryHash(), all.get(2).prevHash());
    assertTrue(KeyLog.verifyChain(all));
    assertEquals(3, KeyLog.head(c).seq());
    assertArrayEquals(all.get(2).entryHash(), KeyLog.head(c).entryHash());

    // the hash is exactly SHA-256(prev || canonical(...)) over a salted account commitment
    KeyLog.Entry first = all.get(0);
    assertEquals("netb:bob", first.account());
    assertEquals(KeyLog.SALT_BYTES, first.accountSalt().length);
    assertArrayEquals(KeyLog.accountCommitment(first.accountSalt(), "netb:bob"), first.accountCommitment());
    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
    md.update(new byte[32]);
    md.update(KeyLog.canonical(1, "netb", first.accountCommitment(), SCHEME, keys.get(0), T0.toEpochMilli()));
    assertArrayEquals(md.digest(), first.entryHash());

    // a page in the middle verifies against the hash known from the previous page
    List<KeyLog.Entry> page = KeyLog.entries(c, 2, 10);
    assertEquals(2, page.size());
    assertTrue(KeyLog.verifyChain(page, all.get(0).entryHash()));
    assertFalse(KeyLog.verifyChain(page, all.get(1).entryHash()));
    assertEquals(1, KeyLog.entries(c, 3, 1).size());

    // as other networks see it (no account, no salt) the chain still verifies
    assertTrue(KeyLog.verifyChain(all.stream().map(KeyLog.Entry::withoutAccount).toList()));

    Optional<KeyLog.Entry> bobNow = KeyLog.current(c, BOB, SCHEME);
    assertEquals(3, bobNow.orElseThrow().seq());
    assertArrayEquals(keys.get(2), bobNow.get().publicKey());
    assertArrayEquals(keys.get(1), KeyLog.current(c, CAROL, SCHEME).orElseThrow().publicKey());
    assertTrue(KeyLog.current(c, Address.of("netb:nobody"), SCHEME).isEmpty());
    assertTrue(KeyLog.current(c, BOB, "other-scheme-v1").isEmpty());
  }

  @Test
  void theLogStoresNoAddressOnlyACommitment() throws Exception {
    threeEntries();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM key_log")) {
      int cols = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        for (int i = 1; i <= cols; i++) {
          byte[] v = rs.getBytes(i);
          String s = v == null ? "" : new String(v, StandardCharsets.ISO_8859_1);
          assertFalse(s.contains("bob") || s.contains("carol"), "key_log column " + i + " names an account");
        }
      }
    }
  }

  @Test
  void theLogRefusesUpdatesAndDeletes() throws Exception {
    threeEntries();
    assertThrows(SQLException.class, () -> exec("UPDATE key_log SET scheme = 'x' WHERE seq = 2"));
    assertThrows(SQLException.class, () -> exec("DELETE FROM key_log WHERE seq = 3"));
    assertTrue(KeyLog.verifyChain(KeyLog.entries(c, 1, 100)));
  }

  @Test
  void tamperingWithAnyStoredFieldBreaksTheChain() throws Exception {
    Map<String, String> tamperings = new java.util.LinkedHashMap<>();
    tamperings.put("network", "UPDATE key_log SET network = 'neta' WHERE seq = 2");
    tamperings.put("account_commitment", "UPDATE key_log SET account_commitment = zeroblob(32) WHERE seq = 2");
    tamperings.put("scheme", "UPDATE key_log SET scheme = 'x25519-aesgcm-v2' WHERE seq = 2");
    tamperings.put("public_key", "UPDATE key_log SET public_key = ? WHERE seq = 2");
    tamperings.put("prev_hash", "UPDATE key_log SET prev_hash = zeroblob(32) WHERE seq = 2");
    tamperings.put("entry_hash", "UPDATE key_log SET entry_hash = zeroblob(32) WHERE seq = 2");
    tamperings.put("at", "UPDATE key_log SET at = at + 1 WHERE seq = 2");
    tamperings.put("seq", "UPDATE key_log SET seq = 10 WHERE seq = 3");
    tamperings.put("deleted entry", "DELETE FROM key_log WHERE seq = 2");
    tamperings.put("account", "UPDATE key_log_accounts SET account = 'netc:mallory' WHERE seq = 2");
    tamperings.put("salt", "UPDATE key_log_accounts SET salt = zeroblob(16) WHERE seq = 2");
    for (Map.Entry<String, String> t : tamperings.entrySet()) {
      close();
      open();
      threeEntries();
      assertTrue(KeyLog.verifyChain(KeyLog.entries(c, 1, 100)), "intact before tampering");
      // an attacker with write access to the file drops the append-only triggers first
      exec("PRAGMA foreign_keys=OFF");
      exec("DROP TRIGGER key_log_no_update");
      exec("DROP TRIGGER key_log_no_delete");
      try (PreparedStatement ps = c.prepareStatement(t.getValue())) {
        if (t.getValue().contains("?")) {
          ps.setBytes(1, raw(x25519()));
        }
        assertEquals(1, ps.executeUpdate(), t.getKey());
      }
      assertFalse(KeyLog.verifyChain(KeyLog.entries(c, 1, 100)), "tampered " + t.getKey() + " went unnoticed");
    }
  }

  @Test
  void forgettingAnAccountKeepsTheChainAndDropsTheAddress() throws Exception {
    threeEntries();
    assertEquals(2, KeyLog.forget(c, List.of(BOB)));
    assertTrue(KeyLog.current(c, BOB, SCHEME).isEmpty());
    assertTrue(KeyLog.current(c, CAROL, SCHEME).isPresent());
    List<KeyLog.Entry> all = KeyLog.entries(c, 1, 100);
    assertEquals(3, all.size());
    assertNull(all.get(0).account());
    assertNull(all.get(0).accountSalt());
    assertTrue(KeyLog.verifyChain(all));
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM key_log_accounts WHERE account = 'netb:bob'")) {
      rs.next();
      assertEquals(0, rs.getInt(1));
    }
  }

  @Test
  void aPrivateKeyIsRefusedAndNothingIsStored() throws Exception {
    KeyPair kp = x25519();
    byte[] pkcs8 = kp.getPrivate().getEncoded();
    PublicKeys.RefusedKey e =
        assertThrows(PublicKeys.RefusedKey.class, () -> KeyLog.append(c, NETB, BOB, SCHEME, pkcs8, T0));
    assertTrue(e.privateKeyMaterial());
    assertTrue(e.getMessage().startsWith("publicKey: "), e.getMessage());
    assertFalse(e.getMessage().contains(Base64.getEncoder().encodeToString(pkcs8)));

    List<byte[]> privates = new ArrayList<>();
    privates.add(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded());
    privates.add(KeyPairGenerator.getInstance("X448").generateKeyPair().getPrivate().getEncoded());
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    privates.add(ec.generateKeyPair().getPrivate().getEncoded());
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    privates.add(rsa.generateKeyPair().getPrivate().getEncoded());
    // PEM text of the X25519 private key
    privates.add(("-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(pkcs8)
        + "\n-----END PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII));
    for (byte[] p : privates) {
      PublicKeys.RefusedKey r =
          assertThrows(PublicKeys.RefusedKey.class, () -> KeyLog.append(c, NETB, BOB, SCHEME, p, T0));
      assertTrue(r.privateKeyMaterial(), r.getMessage());
    }
    assertEquals(0, count());
    assertEquals(0, KeyLog.head(c).seq());
  }

  @Test
  void onlyCanonicalX25519PublicKeysAreAccepted() throws Exception {
    KeyPair kp = x25519();
    // SubjectPublicKeyInfo is normalised to the raw 32 bytes
    KeyLog.Entry e = KeyLog.append(c, NETB, BOB, SCHEME, kp.getPublic().getEncoded(), T0);
    assertArrayEquals(raw(kp), e.publicKey());
    assertArrayEquals(raw(kp), PublicKeys.normalize(SCHEME, raw(kp)));

    List<byte[]> bad = new ArrayList<>();
    bad.add(new byte[0]);
    bad.add(new byte[31]);
    bad.add(new byte[33]);
    bad.add(HexFormat.of().parseHex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")); // top bit
    bad.add(HexFormat.of().parseHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")); // = p
    bad.add(x25519WithTrailingByte(kp));
    bad.add(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded());
    for (byte[] b : bad) {
      assertThrows(PublicKeys.RefusedKey.class, () -> KeyLog.append(c, NETB, BOB, SCHEME, b, T0));
    }
    assertThrows(PublicKeys.RefusedKey.class, () -> KeyLog.append(c, NETB, BOB, "rsa-v1", raw(kp), T0));
    assertThrows(IllegalArgumentException.class, () -> KeyLog.append(c, NETC, BOB, SCHEME, raw(kp), T0));
    assertEquals(1, KeyLog.head(c).seq());
    assertEquals(2, count()); // one log row and its account row
  }

  @Test
  void lowOrderPointsAreRefused() throws Exception {
    KeyPair kp = x25519();
    for (String hex :
        List.of(
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")) {
      byte[] point = HexFormat.of().parseHex(hex);
      // the list is right: an agreement with each point gives the all-zero secret (the JDK refuses)
      assertThrows(InvalidKeyException.class, () -> {
        KeyAgreement ka = KeyAgreement.getInstance("X25519");
        ka.init(kp.getPrivate());
        ka.doPhase(PublicKeys.toPublicKey(point), true);
        ka.generateSecret();
      }, hex);
      assertThrows(PublicKeys.RefusedKey.class, () -> PublicKeys.normalize(SCHEME, point), hex);
    }
  }

  @Test
  void rawEncodingMatchesRfc7748() throws Exception {
    // RFC 7748 section 6.1: Bob's public key, round-tripped through the JDK
    byte[] bobPublic = HexFormat.of().parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    XECPublicKey k = (XECPublicKey) PublicKeys.toPublicKey(bobPublic);
    assertArrayEquals(bobPublic, PublicKeys.encodeU(k.getU()));
  }

  private static byte[] x25519WithTrailingByte(KeyPair kp) {
    byte[] spki = kp.getPublic().getEncoded();
    byte[] out = java.util.Arrays.copyOf(spki, spki.length + 1);
    return out;
  }

  private int count() throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM key_log) + (SELECT count(*) FROM key_log_accounts)")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private void exec(String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
