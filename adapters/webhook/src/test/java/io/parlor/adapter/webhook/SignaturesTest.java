package io.parlor.adapter.webhook;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SignaturesTest {
  private final Signatures s = new Signatures("0123456789abcdef-secret");
  private final byte[] body = "{\"id\":\"m-1\",\"text\":\"caf\\u00e9 ☕\"}".getBytes(StandardCharsets.UTF_8);
  private final Instant now = Instant.parse("2026-11-29T10:00:00Z");

  @Test
  void signsAndVerifiesOverRawBytes() {
    String header = s.sign(body, now);
    assertTrue(header.matches("t=\\d+,v1=[0-9a-f]{64}"), header);
    assertTrue(s.verify(header, body, now));
    assertTrue(s.verify(header, body, now.plusSeconds(300)), "300 s of skew is allowed");
  }

  @Test
  void knownVector() {
    // HMAC-SHA256("0123456789abcdef-secret", "1795946400." + body) computed independently with openssl
    String header = s.sign("hello".getBytes(StandardCharsets.UTF_8), Instant.ofEpochSecond(1795946400L));
    org.junit.jupiter.api.Assertions.assertEquals("t=1795946400,v1=95380d303562fc003828fa14dd277eceeb34aa568689b88ca51423a86d351350", header);
  }

  @Test
  void refusesMissingWrongStaleAndFlipped() {
    String header = s.sign(body, now);
    assertFalse(s.verify(null, body, now));
    assertFalse(s.verify("", body, now));
    assertFalse(s.verify("t=abc,v1=00", body, now));
    assertFalse(s.verify(header.replace("v1=", "v0="), body, now));
    assertFalse(new Signatures("another-secret-0000000").verify(header, body, now));
    assertFalse(s.verify(header, body, now.plusSeconds(301)));
    assertFalse(s.verify(header, body, now.minusSeconds(301)));
    for (int i = 0; i < body.length; i++) {
      byte[] flipped = body.clone();
      flipped[i] ^= 0x01;
      assertFalse(s.verify(header, flipped, now), "1-bit flip at byte " + i);
    }
    String sig = header.substring(header.indexOf("v1=") + 3);
    char c = sig.charAt(10);
    String tampered = header.replace(sig, sig.substring(0, 10) + (c == '0' ? '1' : '0') + sig.substring(11));
    assertFalse(s.verify(tampered, body, now));
  }

  @Test
  void aReusedMacGivesTheSameSignaturesOnManyThreads() throws Exception {
    // each thread keeps one keyed HMAC: results must not depend on what it signed before, or where
    byte[][] bodies = new byte[50][];
    String[] expected = new String[bodies.length];
    for (int i = 0; i < bodies.length; i++) {
      bodies[i] = ("{\"id\":\"m-" + i + "\"}").getBytes(StandardCharsets.UTF_8);
      expected[i] = new Signatures("0123456789abcdef-secret").sign(bodies[i], now); // a fresh Mac each
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
      for (int round = 0; round < 20; round++) {
        results.add(pool.submit(() -> {
          for (int i = 0; i < bodies.length; i++) {
            if (!s.sign(bodies[i], now).equals(expected[i]) || !s.verify(expected[i], bodies[i], now)) {
              return false;
            }
          }
          return true;
        }));
      }
      for (java.util.concurrent.Future<Boolean> f : results) {
        assertTrue(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
