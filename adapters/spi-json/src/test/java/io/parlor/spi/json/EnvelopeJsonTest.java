package io.parlor.spi.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
