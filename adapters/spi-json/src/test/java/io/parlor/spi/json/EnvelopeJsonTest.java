package io.parlor.spi.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.EnvelopeException;
import io.parlor.spi.envelope.Timer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class EnvelopeJsonTest {
  private static final String OK =
      "{\"id\":\"m-123\",\"from\":\"chatapp:alice\",\"to\":\"sms:+447700900123\","
          + "\"sentAt\":\"2026-11-29T10:00:00Z\",\"content\":{\"type\":\"text\",\"text\":\"hello\"},"
          + "\"timer\":{\"seconds\":3600,\"start\":\"send\"},\"replyTo\":\"m-120\"}";

  @Test
  void theQuickTimestampWritingAgreesWithInstantToString() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(23);
    java.util.List<java.time.Instant> cases = new java.util.ArrayList<>(java.util.List.of(
        java.time.Instant.EPOCH, java.time.Instant.parse("0000-01-01T00:00:00Z"), java.time.Instant.parse("9999-12-31T23:59:59.999999999Z"),
        java.time.Instant.parse("-0001-12-31T23:59:59Z"), java.time.Instant.parse("+10000-01-01T00:00:00Z"),
        java.time.Instant.parse("2024-02-29T12:00:00.100Z"), java.time.Instant.parse("2026-12-05T14:00:00.000001Z"),
        java.time.Instant.MIN, java.time.Instant.MAX));
    int[] nanos = {0, 1, 999, 1_000, 1_000_000, 120_000_000, 123_456_000, 123_456_789, 999_999_999};
    for (int i = 0; i < 100_000; i++) {
      cases.add(java.time.Instant.ofEpochSecond(r.nextLong(-63_000_000_000L, 260_000_000_000L),
          r.nextBoolean() ? nanos[r.nextInt(nanos.length)] : r.nextInt(1_000_000_000)));
    }
    for (java.time.Instant t : cases) {
      assertEquals(t.toString(), EnvelopeJson.utc(t), () -> t.getEpochSecond() + "s " + t.getNano() + "ns");
    }
  }

  @Test
  void theQuickTimestampReadingAgreesWithTheFormatter() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(17);
    String[] edges = {"2026-11-29T10:00:00Z", "2026-11-29T10:00:00.5Z", "2026-11-29T10:00:00.123456789Z",
        "2024-02-29T23:59:59Z", "2023-02-29T10:00:00Z", "2026-04-31T10:00:00Z", "2026-13-01T10:00:00Z",
        "2026-00-10T10:00:00Z", "2026-11-00T10:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T10:60:00Z",
        "2026-11-29T10:00:60Z", "2026-11-29T10:00:00.Z", "2026-11-29T10:00:00.1234567890Z", "2026-11-29t10:00:00z",
        "2026-11-29T10:00Z", "2026-11-29T10:00:00+01:00", "0000-01-01T00:00:00Z", "+2026-11-29T10:00:00Z",
        "2026-11-29T1a:00:00Z", "2026-11-29T10:00:00.12a4Z", "2026-11-29 10:00:00Z", "\u0662\u0660\u0662\u0666-11-29T10:00:00Z"};
    java.util.List<String> cases = new java.util.ArrayList<>(java.util.List.of(edges));
    for (int i = 0; i < 20_000; i++) {
      java.time.Instant t = java.time.Instant.ofEpochSecond(r.nextLong(-62_000_000_000L, 250_000_000_000L),
          r.nextInt(4) == 0 ? 0 : r.nextInt(1_000_000_000));
      String s = t.toString();
      cases.add(s);
      // and a character of it changed to another digit or sign
      char[] c = s.toCharArray();
      c[r.nextInt(c.length)] = "0123456789:-.TZ+".charAt(r.nextInt(16));
      cases.add(new String(c));
    }
    int quick = 0;
    for (String s : cases) {
      java.time.Instant fast = EnvelopeJson.utcInstant(s);
      java.time.Instant slow;
      try {
        slow = java.time.OffsetDateTime.parse(s).toInstant();
      } catch (java.time.format.DateTimeParseException e) {
        slow = null;
      }
      if (fast != null) {
        quick++;
        assertEquals(slow, fast, s);
      }
      if (slow == null) {
        assertThrows(EnvelopeException.class, () -> EnvelopeJson.instant("sentAt", s), s);
      } else {
        assertEquals(slow, EnvelopeJson.instant("sentAt", s), s);
      }
    }
    assertTrue(quick > 20_000, "the common form is read quickly: " + quick + " of " + cases.size());
  }

  @Test
  void readsTheContractExample() {
    Envelope e = EnvelopeJson.read(OK.getBytes(StandardCharsets.UTF_8));
    assertEquals("m-123", e.id().value());
    assertEquals("sms:+447700900123", e.to().value());
    assertEquals("hello", ((Content.Text) e.content()).text());
    assertEquals(new Timer(3600, Timer.Start.SEND), e.timer());
    assertEquals("m-120", e.replyTo().value());
  }

  @Test
  void roundTripsTextAndEncrypted() {
    Envelope e = EnvelopeJson.read(OK.getBytes(StandardCharsets.UTF_8));
    assertEquals(e, EnvelopeJson.read(EnvelopeJson.write(e)));
    String enc = OK.replace("{\"type\":\"text\",\"text\":\"hello\"}",
        "{\"type\":\"encrypted\",\"scheme\":\"x25519-aesgcm-v1\",\"ciphertext\":\"AAECAwQ=\"}");
    Envelope x = EnvelopeJson.read(enc.getBytes(StandardCharsets.UTF_8));
    assertEquals(5, x.content().size());
    assertEquals(x, EnvelopeJson.read(EnvelopeJson.write(x)));
  }

  @Test
  void roundTripsOneCiphertextPerGroupMember() {
    String group = OK.replace("{\"type\":\"text\",\"text\":\"hello\"}",
        "{\"type\":\"encrypted\",\"scheme\":\"x25519-aesgcm-v1\",\"perMember\":{\"@bob\":\"AAECAwQ=\",\"~k3x9m2qa\":\"BAUG\"}}");
    Envelope e = EnvelopeJson.read(group.getBytes(StandardCharsets.UTF_8));
    Content.Encrypted enc = (Content.Encrypted) e.content();
    assertEquals(true, enc.isPerMember());
    assertEquals(null, enc.ciphertext());
    assertEquals(8, enc.size());
    assertEquals(3, enc.forMember("~k3x9m2qa").orElseThrow().length);
    assertEquals(e, EnvelopeJson.read(EnvelopeJson.write(e)));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "both shapes|\"perMember\":{\"@bob\":\"AAEC\"},\"ciphertext\":\"AAEC\"",
        "empty|\"perMember\":{}",
        "not an object|\"perMember\":[\"AAEC\"]",
        "account key|\"perMember\":{\"netb:bob\":\"AAEC\"}",
        "not base64|\"perMember\":{\"@bob\":\"***\"}",
        "empty ciphertext|\"perMember\":{\"@bob\":\"\"}",
        "number|\"perMember\":{\"@bob\":7}",
      })
  void perMemberCiphertextsNameTheField(String name, String content) {
    byte[] json = OK.replace("{\"type\":\"text\",\"text\":\"hello\"}",
        "{\"type\":\"encrypted\",\"scheme\":\"x25519-aesgcm-v1\"," + content + "}").getBytes(StandardCharsets.UTF_8);
    EnvelopeException e = assertThrows(EnvelopeException.class, () -> EnvelopeJson.read(json));
    assertEquals("content.perMember", e.field(), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "missing id|\"id\":\"m-123\",|\"x\":1,|id",
        "long id|\"id\":\"m-123\"|\"id\":\"" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + "\"|id",
        "id with space|\"id\":\"m-123\"|\"id\":\"m 1\"|id",
        "numeric id|\"id\":\"m-123\"|\"id\":123|id",
        "bad from|\"from\":\"chatapp:alice\"|\"from\":\"alice\"|from",
        "bad to|\"to\":\"sms:+447700900123\"|\"to\":\"~x\"|to",
        "bad sentAt|\"sentAt\":\"2026-11-29T10:00:00Z\"|\"sentAt\":\"2026-11-29\"|sentAt",
        "content type|\"type\":\"text\"|\"type\":\"video\"|content.type",
        "empty text|\"text\":\"hello\"|\"text\":\"\"|content.text",
        "timer zero|\"seconds\":3600|\"seconds\":0|timer.seconds",
        "timer fraction|\"seconds\":3600|\"seconds\":1.5|timer.seconds",
        "timer start|\"start\":\"send\"|\"start\":\"later\"|timer.start",
        "replyTo type|\"replyTo\":\"m-120\"|\"replyTo\":7|replyTo",
      })
  void namesTheBadField(String name, String from, String to, String field) {
    byte[] json = OK.replace(from, to).getBytes(StandardCharsets.UTF_8);
    EnvelopeException e = assertThrows(EnvelopeException.class, () -> EnvelopeJson.read(json));
    assertEquals(field, e.field(), e.getMessage());
  }

  @Test
  void malformedJsonAndBadBytesAreBodyErrors() {
    assertEquals("body", assertThrows(EnvelopeException.class, () -> EnvelopeJson.read("{".getBytes(StandardCharsets.UTF_8))).field());
    assertEquals("body", assertThrows(EnvelopeException.class, () -> EnvelopeJson.read("[1]".getBytes(StandardCharsets.UTF_8))).field());
    assertEquals("body", assertThrows(EnvelopeException.class, () -> EnvelopeJson.read(new byte[0])).field());
    // Jackson reports these as CharConversionException, an IOException
    assertEquals("body", assertThrows(EnvelopeException.class,
        () -> EnvelopeJson.read(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 0x7b})).field());
    assertEquals("body", assertThrows(EnvelopeException.class,
        () -> EnvelopeJson.read(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xc3, (byte) 0x28, '"', '}'})).field());
    // duplicate keys are refused rather than silently resolved
    assertEquals("body", assertThrows(EnvelopeException.class,
        () -> EnvelopeJson.read(OK.replace("{\"id\":\"m-123\",", "{\"id\":\"m-123\",\"id\":\"m-9\",").getBytes(StandardCharsets.UTF_8))).field());
  }

  @Test
  void errorMessagesNeverEchoValues() {
    byte[] json = OK.replace("\"from\":\"chatapp:alice\"", "\"from\":\"secret-number-447700\"").getBytes(StandardCharsets.UTF_8);
    EnvelopeException e = assertThrows(EnvelopeException.class, () -> EnvelopeJson.read(json));
    assertEquals(false, e.getMessage().contains("447700"));
  }
}
