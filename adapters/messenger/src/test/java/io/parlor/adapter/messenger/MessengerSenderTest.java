package io.parlor.adapter.messenger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.json.EnvelopeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MessengerSenderTest {
  private static final Instant T = Instant.parse("2026-11-29T10:00:00Z");

  private static MessengerSender sender(Platform platform, String network) {
    return new MessengerSender(HttpClient.newBuilder().build(),
        TestSupport.config(platform, URI.create("http://127.0.0.1:1"), 300), NetworkId.of(network),
        new MetaTestSupport.FakeClock(T));
  }

  private static Envelope text(String from, String text) {
    return Envelope.of(MessageId.of("g-1"), Address.of(from), Address.of("messenger:6543210987654321"), T,
        new Content.Text(text));
  }

  private static DeliveryTarget to(String recipient) {
    return new DeliveryTarget(Address.of(recipient), "g-1");
  }

  @Test
  void textBodyHasTheSendApiShapeAndSenderPrefix() throws Exception {
    MessengerSender.Prepared p =
        sender(Platform.MESSENGER, "messenger").prepare(text("~abcd1234", "hello"), to("messenger:6543210987654321"));
    assertEquals("6543210987654321", p.recipientId());
    assertEquals(
        EnvelopeJson.mapper().readTree("{\"recipient\":{\"id\":\"6543210987654321\"},\"messaging_type\":\"RESPONSE\","
            + "\"message\":{\"text\":\"~abcd1234: hello\"}}"),
        EnvelopeJson.mapper().readTree(p.body()));
  }

  @Test
  void refusals() {
    MessengerSender s = sender(Platform.MESSENGER, "messenger");
    assertEquals(Reason.UNSUPPORTED, assertThrows(PermanentDeliveryException.class,
        () -> s.prepare(text("sms:+447700900123", "hi"), to("messenger:6543210987654321"))).reason());
    for (String r : new String[] {"instagram:6543210987654321", "messenger:alice", "@alice"}) {
      assertEquals(Reason.RECIPIENT_UNKNOWN, assertThrows(PermanentDeliveryException.class,
          () -> s.prepare(text("~abcd1234", "hi"), to(r)), r).reason());
    }
    Envelope enc = Envelope.of(MessageId.of("g-1"), Address.of("~abcd1234"), Address.of("messenger:1"), T,
        new Content.Encrypted("x25519-aesgcm-v1", new byte[] {1}));
    assertEquals(Reason.UNSUPPORTED, assertThrows(PermanentDeliveryException.class,
        () -> s.prepare(enc, to("messenger:6543210987654321"))).reason());
  }

  /** The longest group label: the limits hold behind the longest group name, name and handle. */
  private static final Envelope.Group GROUP =
      new Envelope.Group(io.parlor.spi.envelope.Address.of("~gggggggggg"), "G".repeat(Envelope.MAX_NAME));

  @Test
  void messengerLimitIs2000CharactersWithPrefix() throws Exception {
    MessengerSender s = sender(Platform.MESSENGER, "messenger");
    String relay = "~" + "a".repeat(32);
    int declared = Platform.MESSENGER.maxText() - MessengerSender.MAX_PREFIX;
    String name = "N".repeat(Envelope.MAX_NAME);
    s.prepare(text(relay, "\u00e9".repeat(declared)).withFromName(name).withGroup(GROUP), to("messenger:6543210987654321"));
    assertEquals(Reason.TOO_LONG, assertThrows(PermanentDeliveryException.class,
        () -> s.prepare(text(relay, "x".repeat(declared + 1)).withFromName(name).withGroup(GROUP), to("messenger:6543210987654321"))).reason());
  }

  @Test
  void instagramLimitIs1000Utf8Bytes() throws Exception {
    MessengerSender s = sender(Platform.INSTAGRAM, "instagram");
    String relay = "~" + "a".repeat(32);
    int declared = Platform.INSTAGRAM.maxText() - MessengerSender.MAX_PREFIX;
    String name = "N".repeat(Envelope.MAX_NAME);
    s.prepare(text(relay, "x".repeat(declared)).withFromName(name).withGroup(GROUP), to("instagram:7400000000000012"));
    assertEquals(Reason.TOO_LONG, assertThrows(PermanentDeliveryException.class,
        () -> s.prepare(text(relay, "x".repeat(declared + 1)).withFromName(name).withGroup(GROUP), to("instagram:7400000000000012"))).reason());
    // 600 two-byte characters fit the character count but not Instagram's byte limit.
    assertEquals(Reason.TOO_LONG, assertThrows(PermanentDeliveryException.class,
        () -> s.prepare(text("~abcd1234", "\u00e9".repeat(600)), to("instagram:7400000000000012"))).reason());
  }
}
