package io.parlor.core.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's tree-head signer: the same key from the same seed, whatever the JDK's internals. */
class LogSignerTest {
  private static final HexFormat HEX = HexFormat.of();

  @TempDir Path dir;

  @Test
  void aSeedGivesTheKeyOfRfc8032sFirstTestVector() {
    LogSigner s = LogSigner.fromSeed(HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", HEX.formatHex(s.publicKey()));
  }

  @Test
  void headsVerifyUnderTheirKeyOnlyAndNotWhenAnyFieldChanges() {
    LogSigner s = LogSigner.fromSeed(new byte[32]);
    byte[] root = new byte[32];
    root[0] = 7;
    LogSigner.TreeHead h = s.sign(12, root, 1_796_000_000_000L);
    assertTrue(LogSigner.verify(s.publicKey(), h));
    assertFalse(LogSigner.verify(LogSigner.fromSeed(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).publicKey(), h), "another key");
    assertFalse(LogSigner.verify(s.publicKey(), new LogSigner.TreeHead(13, root, h.timestamp(), h.signature())));
    assertFalse(LogSigner.verify(s.publicKey(), new LogSigner.TreeHead(12, new byte[32], h.timestamp(), h.signature())));
    assertFalse(LogSigner.verify(s.publicKey(), new LogSigner.TreeHead(12, root, h.timestamp() + 1, h.signature())));
  }

  @Test
  void theMasterKeyDerivesOneKeyAndAnotherMasterKeyAnother() {
    byte[] master = new byte[32];
    master[31] = 9;
    assertArrayEquals(LogSigner.derivedFrom(master).publicKey(), LogSigner.derivedFrom(master.clone()).publicKey());
    byte[] other = master.clone();
    other[0] = 1;
    assertNotEquals(HEX.formatHex(LogSigner.derivedFrom(master).publicKey()), HEX.formatHex(LogSigner.derivedFrom(other).publicKey()));
  }

  @Test
  void aKeyFileIsMadeOnceReadableByItsOwnerOnlyAndKept() throws Exception {
    Path file = dir.resolve("parlor.db.log-signing-key");
    LogSigner first = LogSigner.fromFile(file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(32, Files.size(file));
    assertArrayEquals(first.publicKey(), LogSigner.fromFile(file).publicKey(), "the same key at the next start");
    try (var left = Files.list(dir)) {
      assertEquals(1, left.count(), "no temporary file left behind");
    }
    Files.write(file, new byte[5]);
    assertThrows(java.io.IOException.class, () -> LogSigner.fromFile(file));
  }
}
