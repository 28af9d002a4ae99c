package io.parlor.adapter.meta;

import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.spi.json.EnvelopeJson;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class HubSignatureTest {
  private final HubSignature sig = new HubSignature(APP_SECRET);

  @Test
  void knownVector() {
    // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), RFC-style known answer.
    HubSignature s = new HubSignature("key");
    byte[] body = "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.US_ASCII);
    assertEquals("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", s.sign(body));
    assertTrue(s.verify("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", body));
  }

  @Test
  void validSignatureOverFixtureVerifies() {
    byte[] body = fixture("whatsapp-webhook-text-with-bsuid-pywa.json");
    assertTrue(sig.verify(sig.sign(body), body));
    assertTrue(sig.verify(sig.sign(body).toUpperCase(Locale.ROOT).replace("SHA256=", "sha256="), body));
  }

  @Test
  void missingOrMalformedHeaderFails() {
    byte[] body = fixture("whatsapp-webhook-text-with-bsuid-pywa.json");
    String hex = sig.sign(body).substring("sha256=".length());
    assertFalse(sig.verify(null, body));
    assertFalse(sig.verify("", body));
    assertFalse(sig.verify(hex, body), "prefix missing");
    assertFalse(sig.verify("sha1=" + hex, body));
    assertFalse(sig.verify("sha256=zz" + hex.substring(2), body), "not hex");
    assertFalse(sig.verify("sha256=" + hex.substring(2), body), "truncated");
  }

  @Test
  void wrongSecretFails() {
    byte[] body = fixture("whatsapp-webhook-text-with-bsuid-pywa.json");
    assertFalse(new HubSignature("another-secret").verify(sig.sign(body), body));
  }

  @Test
  void everySingleBitFlipOfTheSignatureFails() {
    byte[] body = fixture("whatsapp-webhook-reply-context-pywa.json");
    byte[] mac = HexFormat.of().parseHex(sig.sign(body).substring(7));
    for (int bit = 0; bit < mac.length * 8; bit++) {
      byte[] flipped = mac.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      assertFalse(sig.verify("sha256=" + HexFormat.of().formatHex(flipped), body), "bit " + bit);
    }
  }

  @Test
  void singleBitFlipOfTheBodyFails() {
    byte[] body = fixture("whatsapp-webhook-reply-context-pywa.json");
    String header = sig.sign(body);
    for (int i = 0; i < body.length; i += 7) {
      byte[] flipped = body.clone();
      flipped[i] ^= 1;
      assertFalse(sig.verify(header, flipped), "byte " + i);
    }
  }

  @Test
  void escapedUnicodeBodyVerifiesOnlyOverTheRawBytes() throws Exception {
    byte[] raw = fixture("whatsapp-webhook-text-escaped-unicode.json");
    String header = sig.sign(raw);
    assertTrue(sig.verify(header, raw));

    // The same JSON re-serialised (escapes decoded to UTF-8) is different bytes: must not verify.
    JsonNode tree = EnvelopeJson.mapper().readTree(raw);
    byte[] reserialised = EnvelopeJson.mapper().writeValueAsBytes(tree);
    assertTrue(new String(reserialised, StandardCharsets.UTF_8).contains("caf\u00e9"));
    assertFalse(sig.verify(header, reserialised));
  }

  @Test
  void rawNonAsciiBodyVerifies() {
    byte[] raw = "{\"text\":\"caf\u00e9 \ud83d\ude00 \u05e9\u05dc\u05d5\u05dd\"}".getBytes(StandardCharsets.UTF_8);
    assertTrue(sig.verify(sig.sign(raw), raw));
  }

  @Test
  void verifyTokenComparison() {
    assertTrue(HubSignature.secretEquals("verify-token-42", "verify-token-42"));
    assertFalse(HubSignature.secretEquals("verify-token-42", "verify-token-43"));
    assertFalse(HubSignature.secretEquals("verify-token-42", "verify-token-4"));
    assertFalse(HubSignature.secretEquals("verify-token-42", ""));
    assertFalse(HubSignature.secretEquals("verify-token-42", null));
  }
}
