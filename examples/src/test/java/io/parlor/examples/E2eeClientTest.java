package io.parlor.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import java.security.InvalidKeyException;
import org.junit.jupiter.api.Test;

class E2eeClientTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void rawKeyEncodingAndAgreementMatchRfc7748() throws Exception {
    // RFC 7748 section 6.1
    PrivateKey alice = KeyFactory.getInstance("X25519").generatePrivate(new XECPrivateKeySpec(
        NamedParameterSpec.X25519, HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")));
    byte[] bobPublic = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    assertArrayEquals(bobPublic, E2eeClient.rawPublicKey(E2eeClient.publicKeyFromRaw(bobPublic)));
    assertEquals("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
        HEX.formatHex(E2eeClient.agree(alice, E2eeClient.publicKeyFromRaw(bobPublic))));
  }

  @Test
  void onlyTheRecipientDecrypts() throws Exception {
    E2eeClient alice = E2eeClient.generate();
    E2eeClient bob = E2eeClient.generate();
    E2eeClient eve = E2eeClient.generate();
    String text = "meet at 10 \u2014 caf\u00e9 \uD83D\uDE00";
    String ct = alice.encryptText(bob.publicKeyBase64(), text);
    byte[] wire = Base64.getDecoder().decode(ct);
    int utf8 = text.getBytes(StandardCharsets.UTF_8).length;
    assertEquals(32 + 12 + utf8 + 16, wire.length);
    assertEquals(text, bob.decryptText(ct));
    assertThrows(AEADBadTagException.class, () -> eve.decryptText(ct));
    assertThrows(AEADBadTagException.class, () -> alice.decryptText(ct));
    // fresh ephemeral key and nonce every time
    String again = alice.encryptText(bob.publicKeyBase64(), text);
    assertNotEquals(ct, again);
    assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(wire, 44),
        java.util.Arrays.copyOf(Base64.getDecoder().decode(again), 44)));
  }

  @Test
  void anyAlteredByteIsDetected() throws Exception {
    E2eeClient bob = E2eeClient.generate();
    byte[] wire = E2eeClient.encrypt(bob.publicKey(), "hello".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < wire.length; i++) {
      for (int bit : new int[] {0x01, 0x80}) {
        byte[] bad = wire.clone();
        bad[i] ^= (byte) bit;
        // (even the ignored top bit of the ephemeral key changes the HKDF salt)
        assertThrows(java.security.GeneralSecurityException.class, () -> bob.decrypt(bad), "byte " + i);
      }
    }
    assertThrows(AEADBadTagException.class, () -> bob.decrypt(new byte[59]));
  }

  @Test
  void lowOrderAndMalformedRecipientKeysAreRefused() {
    assertThrows(InvalidKeyException.class, () -> E2eeClient.encrypt(new byte[32], new byte[] {1}));
    assertThrows(InvalidKeyException.class, () -> E2eeClient.encrypt(new byte[31], new byte[] {1}));
  }
}
