package io.parlor.adapter.whatsapp;

import static io.parlor.adapter.whatsapp.TestSupport.NETWORK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.json.EnvelopeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WhatsAppSenderTest {
  private static final Instant T = Instant.parse("2026-11-29T10:00:00Z");
  private final WhatsAppSender sender =
      new WhatsAppSender(
          HttpClient.newBuilder().build(),
          TestSupport.config("106540352242922", URI.create("http://127.0.0.1:1"), 80),
          NETWORK,
          new MetaTestSupport.FakeClock(T));

  private static Envelope text(String from, String text) {
    return Envelope.of(MessageId.of("g-1"), Address.of(from), Address.of("whatsapp:+447700900123"), T,
        new Content.Text(text));
  }

  private static DeliveryTarget to(String recipient) {
    return new DeliveryTarget(Address.of(recipient), "g-1");
  }

  @Test
  void textBodyHasTheCloudApiShapeAndSenderPrefix() throws Exception {
    WhatsAppSender.Prepared p = sender.prepare(text("~abcd1234", "hello"), to("whatsapp:+447700900123"));

    assertEquals("447700900123", p.recipientDigits());
    JsonNode body = EnvelopeJson.mapper().readTree(p.body());
    assertEquals(
        EnvelopeJson.mapper().readTree(
            "{\"messaging_product\":\"whatsapp\",\"to\":\"447700900123\",\"type\":\"text\","
                + "\"text\":{\"body\":\"~abcd1234: hello\"}}"),
        body);
  }

  @Test
  void replyToBecomesContext() throws Exception {
    Envelope e = text("@alice", "yes").withReplyTo(MessageId.of("wamid.HBgLMTIz=="));
    JsonNode body = EnvelopeJson.mapper().readTree(sender.prepare(e, to("whatsapp:+447700900123")).body());

    assertEquals("wamid.HBgLMTIz==", body.path("context").path("message_id").asText());
    assertEquals("@alice: yes", body.path("text").path("body").asText());
  }

  @Test
  void aGroupsMessageNamesTheGroupBeforeTheSender() throws Exception {
    Envelope e = text("@alice", "Saturday?").withFromName("Alice A.")
        .withGroup(new Envelope.Group(io.parlor.spi.envelope.Address.of("~k3j9x2m4pq"), "Climbing"));
    JsonNode body = EnvelopeJson.mapper().readTree(sender.prepare(e, to("whatsapp:+447700900123")).body());
    assertEquals("[Climbing] Alice A. (@alice): Saturday?", body.path("text").path("body").asText());
  }

  @Test
  void senderAccountAddressesAreNeverShown() {
    PermanentDeliveryException e = assertThrows(PermanentDeliveryException.class,
        () -> sender.prepare(text("sms:+447700900999", "hi"), to("whatsapp:+447700900123")));
    assertEquals(Reason.UNSUPPORTED, e.reason());
  }

  @Test
  void encryptedContentIsUnsupported() {
    Envelope e = Envelope.of(MessageId.of("g-1"), Address.of("~abcd1234"), Address.of("whatsapp:+447700900123"), T,
        new Content.Encrypted("x25519-aesgcm-v1", new byte[] {1, 2, 3}));
    assertEquals(Reason.UNSUPPORTED,
        assertThrows(PermanentDeliveryException.class, () -> sender.prepare(e, to("whatsapp:+447700900123"))).reason());
  }

  @Test
  void recipientsMustBeWhatsAppNumbersOfThisNetwork() {
    for (String r : new String[] {"sms:+447700900123", "whatsapp:alice", "whatsapp:+12345678901234567", "~abcd1234"}) {
      PermanentDeliveryException e =
          assertThrows(PermanentDeliveryException.class, () -> sender.prepare(text("~abcd1234", "x"), to(r)), r);
      assertEquals(Reason.RECIPIENT_UNKNOWN, e.reason());
    }
    assertEquals(Optional.of("447700900123"),
        WhatsAppSender.recipientDigits(Address.of("whatsapp:447700900123"), NETWORK));
  }

  @Test
  void textThatDoesNotFitWithThePrefixIsTooLong() throws Exception {
    int declared = WhatsAppSender.PLATFORM_MAX_TEXT - WhatsAppSender.MAX_PREFIX;
    String relay = "~" + "a".repeat(32);
    String name = "N".repeat(Envelope.MAX_NAME);
    Envelope.Group group = new Envelope.Group(io.parlor.spi.envelope.Address.of("~gggggggggg"), "G".repeat(Envelope.MAX_NAME));
    // The longest text the adapter declares fits even behind the longest group name, name and handle.
    sender.prepare(text(relay, "x".repeat(declared)).withFromName(name).withGroup(group), to("whatsapp:+447700900123"));
    PermanentDeliveryException e = assertThrows(PermanentDeliveryException.class,
        () -> sender.prepare(text(relay, "x".repeat(declared + 1)).withFromName(name).withGroup(group),
            to("whatsapp:+447700900123")));
    assertEquals(Reason.TOO_LONG, e.reason());
  }
}
