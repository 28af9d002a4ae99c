package io.parlor.spi.json;

import java.util.List;

/** Valid version 2 documents of every content kind and event: the seeds of the parsers' property tests. */
public final class ParsersPropertyTestSeeds {
  private ParsersPropertyTestSeeds() {}

  private static final String HEAD =
      "{\"v\":2,\"id\":\"m-1\",\"from\":\"neta:alice\",\"to\":\"~abcd1234\",\"sentAt\":\"2026-11-29T10:00:00Z\","
          + "\"timer\":{\"seconds\":60,\"start\":\"send\"},\"replyTo\":\"m-0\",\"fromName\":\"Alice\",\"content\":";
  public static final List<String> ENVELOPES = List.of(
      HEAD + "{\"type\":\"text\",\"text\":\"hello\"}}",
      HEAD + "{\"type\":\"encrypted\",\"scheme\":\"x25519-aesgcm-v1\",\"ciphertext\":\"AAECAw==\"}}",
      HEAD + "{\"type\":\"encrypted\",\"scheme\":\"x25519-aesgcm-v1\",\"perMember\":{\"@bob\":\"AAECAw==\",\"~k3x9m2qa\":\"BAUG\"}}}",
      HEAD + "{\"type\":\"media\",\"kind\":\"image\",\"url\":\"https://example.org/a.jpg\",\"mimeType\":\"image/jpeg\","
          + "\"size\":1234,\"sha256\":\"" + "ab".repeat(32) + "\",\"name\":\"a.jpg\",\"caption\":\"a caption\","
          + "\"encryption\":{\"alg\":\"aes-256-gcm\",\"key\":\"" + "A".repeat(43) + "=\",\"nonce\":\"AAAAAAAAAAAAAAAA\"}}}",
      HEAD + "{\"type\":\"reaction\",\"target\":\"g-1\",\"emoji\":\"\\uD83D\\uDC4D\"}}",
      HEAD + "{\"type\":\"edit\",\"target\":\"m-0\",\"text\":\"new text\"}}",
      HEAD + "{\"type\":\"delete\",\"target\":\"m-0\"}}",
      HEAD + "{\"type\":\"location\",\"latitude\":52.52,\"longitude\":13.405,\"name\":\"Alexanderplatz\"}}");
  public static final List<String> EVENTS = List.of(
      "{\"type\":\"read\",\"from\":\"netb:bob\",\"to\":\"~abcd1234\",\"ids\":[\"g-1\",\"g-2\"],\"at\":\"2026-11-29T10:00:00Z\"}",
      "{\"type\":\"typing\",\"from\":\"netb:bob\",\"to\":\"~abcd1234\",\"state\":\"on\"}");
}
