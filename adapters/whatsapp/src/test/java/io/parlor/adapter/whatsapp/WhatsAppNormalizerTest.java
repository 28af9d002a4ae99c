package io.parlor.adapter.whatsapp;

import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static io.parlor.adapter.whatsapp.TestSupport.NETWORK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.json.EnvelopeJson;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WhatsAppNormalizerTest {
  private static final String PYWA_NUMBER_ID = "1122334455667";
  private static final String BINDAMBC_NUMBER_ID = "409552778964973";

  private static WhatsAppNormalizer.Batch normalize(String phoneNumberId, String fixture) throws IOException {
    JsonNode root = EnvelopeJson.mapper().readTree(fixture(fixture));
    return new WhatsAppNormalizer(NETWORK, phoneNumberId).normalize(root);
  }

  @Test
  void textMessageBecomesEnvelope() throws IOException {
    WhatsAppNormalizer.Batch b = normalize(PYWA_NUMBER_ID, "whatsapp-webhook-text-with-bsuid-pywa.json");

    assertEquals(1, b.messages().size());
    Envelope e = b.messages().get(0);
    assertEquals(MessageId.of("wamid.xyzxyz"), e.id());
    assertEquals(Address.of("whatsapp:+972987654321"), e.from());
    assertEquals(Address.of("whatsapp:1122334455667"), e.to());
    assertEquals(Instant.ofEpochSecond(1697043223L), e.sentAt());
    assertEquals(new Content.Text("Body Text"), e.content());
    assertNull(e.replyTo());
    assertNull(e.timer());
    assertTrue(b.statuses().isEmpty());
    assertEquals(0, b.skippedCount());
  }

  @Test
  void replyContextBecomesReplyTo() throws IOException {
    WhatsAppNormalizer.Batch b = normalize(PYWA_NUMBER_ID, "whatsapp-webhook-reply-context-pywa.json");

    Envelope e = b.messages().get(0);
    assertEquals(MessageId.of("wamid.xyzxyz=="), e.replyTo());
    assertEquals(new Content.Text("replied text"), e.content());
    assertEquals(Instant.ofEpochSecond(1697044746L), e.sentAt());
  }

  @Test
  void escapedUnicodeIsDecoded() throws IOException {
    WhatsAppNormalizer.Batch b = normalize(PYWA_NUMBER_ID, "whatsapp-webhook-text-escaped-unicode.json");

    assertEquals(new Content.Text("caf\u00e9 cr\u00e8me \ud83d\ude00"), b.messages().get(0).content());
  }

  @ParameterizedTest(name = "{0} is skipped as {2}")
  @CsvSource({
    "whatsapp-webhook-location-no-name-bindambc.json, " + BINDAMBC_NUMBER_ID + ", location",
    "whatsapp-webhook-button-template-quick-reply-bindambc.json, " + BINDAMBC_NUMBER_ID + ", button",
    "whatsapp-webhook-unsupported-no-subtype-bindambc.json, " + BINDAMBC_NUMBER_ID + ", unsupported",
    "whatsapp-webhook-unsupported-with-type-pywa.json, " + PYWA_NUMBER_ID + ", unsupported",
    "whatsapp-webhook-reaction-removed-empty-emoji-pywa.json, " + PYWA_NUMBER_ID + ", reaction",
    "whatsapp-webhook-reaction-removed-no-emoji-pywa.json, " + PYWA_NUMBER_ID + ", reaction",
  })
  void otherMessageTypesAreSkippedAndCounted(String fixture, String numberId, String kind) throws IOException {
    WhatsAppNormalizer.Batch b = normalize(numberId, fixture);

    assertTrue(b.messages().isEmpty());
    assertEquals(Map.of(kind, 1), b.skipped());
  }

  @ParameterizedTest(name = "{0} → {2}")
  @CsvSource({
    "whatsapp-webhook-status-delivered-bindambc.json, " + BINDAMBC_NUMBER_ID
        + ", DELIVERED, wamid.nBgN6TUyN2k5NzAzM5kzNhUCABI8FDNFQjAxQkE5REI4NEUzQ5Y5QTNgAA==, 1673020317, ",
    "whatsapp-webhook-status-read-bindambc.json, " + BINDAMBC_NUMBER_ID
        + ", READ, wamid.nBgN6TUyN2k5NzAzM5kzNhUCABI8FDNFQjAxQkE5REI4NEUzQ5Y5QTNgAA==, 1673020317, ",
    "whatsapp-webhook-status-sent-biz-opaque-pywa.json, " + PYWA_NUMBER_ID
        + ", SENT, wamid.xyzxyz, 1698266945, ",
    "whatsapp-webhook-status-played-pywa.json, " + PYWA_NUMBER_ID
        + ", PLAYED, wamid.xyzxyz, 1689380458, ",
    "whatsapp-webhook-status-failed-130472-pywa.json, " + PYWA_NUMBER_ID
        + ", FAILED, wamid.xyzxyz, 1689380458, 130472",
    "whatsapp-webhook-status-failed-131047-bindambc.json, 109999999999999"
        + ", FAILED, wamid.HBgNN5NzAzMDkTUyNzkzNhUEjA1MjUwNCAUIyNEYUQ0OTVGNTY0MwA=, 1682651887, 131047",
    "whatsapp-webhook-status-failed-131053-bindambc.json, " + BINDAMBC_NUMBER_ID
        + ", FAILED, wamid.HBgNNTUyNzk5NzAUZBQTI3MzRGRDA3MjgzMDkzNhUCABEYEjNCR2OQA=, 1677783372, 131053",
  })
  void statusesAreParsed(String fixture, String numberId, WhatsAppStatus.State state, String id, long at,
      Integer errorCode) throws IOException {
    WhatsAppNormalizer.Batch b = normalize(numberId, fixture);

    assertTrue(b.messages().isEmpty());
    assertEquals(0, b.skippedCount());
    assertEquals(
        List.of(new WhatsAppStatus(MessageId.of(id), state, Instant.ofEpochSecond(at), errorCode)), b.statuses());
  }

  @Test
  void batchedWebhookCountsEveryEntryAndMessage() throws IOException {
    WhatsAppNormalizer.Batch b = normalize(PYWA_NUMBER_ID, "whatsapp-webhook-batched.json");

    assertEquals(
        List.of("wamid.batch1", "wamid.batch2", "wamid.batch3"),
        b.messages().stream().map(e -> e.id().value()).toList());
    assertEquals(
        List.of("whatsapp:+972987654321", "whatsapp:+447700900123", "whatsapp:+972987654321"),
        b.messages().stream().map(e -> e.from().value()).toList());
    assertEquals(Map.of("image", 1), b.skipped());
    assertEquals(
        List.of(WhatsAppStatus.State.READ, WhatsAppStatus.State.DELIVERED),
        b.statuses().stream().map(WhatsAppStatus::state).toList());
  }

  @Test
  void eventsForAnotherPhoneNumberIdAreSkipped() throws IOException {
    WhatsAppNormalizer.Batch b = normalize("999", "whatsapp-webhook-batched.json");

    assertTrue(b.messages().isEmpty());
    assertTrue(b.statuses().isEmpty());
    assertEquals(Map.of(WhatsAppNormalizer.SKIP_OTHER_PHONE_NUMBER, 6), b.skipped());
  }

  @Test
  void otherObjectsAreSkipped() throws IOException {
    JsonNode root = EnvelopeJson.mapper().readTree("{\"object\":\"page\",\"entry\":[]}");
    WhatsAppNormalizer.Batch b = new WhatsAppNormalizer(NETWORK, PYWA_NUMBER_ID).normalize(root);

    assertEquals(Map.of(WhatsAppNormalizer.SKIP_OTHER_OBJECT, 1), b.skipped());
  }

  @Test
  void textThatCannotBeMappedIsCountedNotThrown() throws IOException {
    String body = fixtureTextWith("\"from\": \"972987654321\"", "\"from\": \"48XXXXXXXXX \"");
    WhatsAppNormalizer.Batch b =
        new WhatsAppNormalizer(NETWORK, PYWA_NUMBER_ID).normalize(EnvelopeJson.mapper().readTree(body));

    assertTrue(b.messages().isEmpty());
    assertEquals(Map.of(WhatsAppNormalizer.SKIP_INVALID_MESSAGE, 1), b.skipped());
  }

  @Test
  void emptyBodyOrMissingTimestampIsInvalid() throws IOException {
    for (String[] edit : new String[][] {
      {"\"body\": \"Body Text\"", "\"body\": \"\""},
      {"\"timestamp\": \"1697043223\",", ""},
      {"\"id\": \"wamid.xyzxyz\",", ""},
      {"\"timestamp\": \"1697043223\"", "\"timestamp\": \"yesterday\""},
    }) {
      String body = fixtureTextWith(edit[0], edit[1]);
      WhatsAppNormalizer.Batch b =
          new WhatsAppNormalizer(NETWORK, PYWA_NUMBER_ID).normalize(EnvelopeJson.mapper().readTree(body));
      assertEquals(Map.of(WhatsAppNormalizer.SKIP_INVALID_MESSAGE, 1), b.skipped(), edit[0]);
    }
  }

  @ParameterizedTest(name = "wa_id \"{0}\" → {1}")
  @CsvSource(
      value = {
        "'48123456789 ' | 48123456789",
        "' 48123456789' | 48123456789",
        "'+447700900123' | 447700900123",
        "'48XXXXXXXXX ' | ",
        "'48XXXXXXXXX' | ",
        "'US.13491208655302741918' | ",
        "'' | ",
        "'1234567890123456' | ",
        "'12 34' | ",
      },
      delimiter = '|')
  void waIdsAreTrimmedAndMustBeDigits(String waId, String digits) {
    assertEquals(Optional.ofNullable(digits), WhatsAppNormalizer.digits(waId));
    assertEquals(
        Optional.ofNullable(digits).map(d -> Address.of("whatsapp:+" + d)),
        WhatsAppNormalizer.senderAddress(NETWORK, waId));
  }

  @Test
  void longPlatformIdsBecomeStableHashes() {
    String longId = "aWdf" + "x".repeat(200);
    MessageId a = WhatsAppNormalizer.messageId(longId);
    MessageId b = WhatsAppNormalizer.messageId(longId);

    assertEquals(a, b);
    assertTrue(a.value().startsWith("sha256:"), a.value());
    assertTrue(a.value().length() <= MessageId.MAX_LENGTH);
    assertEquals(MessageId.of("wamid.short"), WhatsAppNormalizer.messageId("wamid.short"));
  }

  private static String fixtureTextWith(String from, String to) {
    String text = MetaTestSupport.fixtureText("whatsapp-webhook-text-with-bsuid-pywa.json");
    assertTrue(text.contains(from), from);
    return text.replace(from, to);
  }
}
