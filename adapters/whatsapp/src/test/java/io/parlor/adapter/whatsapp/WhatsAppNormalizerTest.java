package io.parlor.adapter.whatsapp;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.adapter.meta.WebhookBatch;
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
import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static io.parlor.adapter.whatsapp.TestSupport.NETWORK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WhatsAppNormalizerTest {
  private static final String PYWA_NUMBER_ID = "1122334455667";
  private static final String BINDAMBC_NUMBER_ID = "409552778964973";

  private static WebhookBatch<WhatsAppStatus> normalize(String phoneNumberId, String fixture) throws IOException {
    JsonNode root = EnvelopeJson.mapper().readTree(fixture(fixture));
    return new WhatsAppNormalizer(NETWORK, phoneNumberId).normalize(root);
  }

  @Test
  void textMessageBecomesEnvelope() throws IOException {
    WebhookBatch<WhatsAppStatus> b = normalize(PYWA_NUMBER_ID, "whatsapp-webhook-text-with-bsuid-pywa.json");

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
    WebhookBatch<WhatsAppStatus> b = normalize(PYWA_NUMBER_ID, "whatsapp-webhook-reply-context-pywa.json");

    Envelope e = b.messages().get(0);
    assertEquals(MessageId.of("wamid.xyzxyz=="), e.replyTo());
    assertEquals(new Content.Text("replied text"), e.content());
    assertEquals(Instant.ofEpochSecond(1697044746L), e.sentAt());
  }

  @Test
  void escapedUnicodeIsDecoded() throws IOException {
    WebhookBatch<WhatsAppStatus> b = normalize(PYWA_NUMBER_ID, "whatsapp-webhook-text-escaped-unicode.json");

    assertEquals(new Content.Text("caf\u00e9 cr\u00e8me \ud83d\ude00"), b.messages().get(0).content());
  }

  @ParameterizedTest(name = "{0} is skipped as {2}")
  @CsvSource({
    "whatsapp-webhook-button-template-quick-reply-bindambc.json, " + BINDAMBC_NUMBER_ID + ", button",
    "whatsapp-webhook-unsupported-no-subtype-bindambc.json, " + BINDAMBC_NUMBER_ID + ", unsupported",
    "whatsapp-webhook-unsupported-with-type-pywa.json, " + PYWA_NUMBER_ID + ", unsupported",
    // a user's delete on a Cloud API number: it does not say which message, so nothing to map
    "whatsapp-webhook-unsupported-131051-docs.json, " + BINDAMBC_NUMBER_ID + ", unsupported",
  })
  void otherMessageTypesAreSkippedAndCounted(String fixture, String numberId, String kind) throws IOException {
    WebhookBatch<WhatsAppStatus> b = normalize(numberId, fixture);

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
    WebhookBatch<WhatsAppStatus> b = normalize(numberId, fixture);

    assertTrue(b.messages().isEmpty());
    assertEquals(0, b.skippedCount());
    assertEquals(
        List.of(new WhatsAppStatus(MessageId.of(id), state, Instant.ofEpochSecond(at), errorCode)), b.statuses());
  }

  @Test
  void batchedWebhookCountsEveryEntryAndMessage() throws IOException {
    WebhookBatch<WhatsAppStatus> b = normalize(PYWA_NUMBER_ID, "whatsapp-webhook-batched.json");

    assertEquals(
        List.of("wamid.batch1", "wamid.batch-image", "wamid.batch2", "wamid.batch3"),
        b.messages().stream().map(e -> e.id().value()).toList());
    assertEquals(
        List.of("whatsapp:+972987654321", "whatsapp:+972987654321", "whatsapp:+447700900123", "whatsapp:+972987654321"),
        b.messages().stream().map(e -> e.from().value()).toList());
    assertEquals(Map.of(), b.skipped());
    assertEquals(
        List.of(WhatsAppStatus.State.READ, WhatsAppStatus.State.DELIVERED),
        b.statuses().stream().map(WhatsAppStatus::state).toList());
  }

  @Test
  void eventsForAnotherPhoneNumberIdAreSkipped() throws IOException {
    WebhookBatch<WhatsAppStatus> b = normalize("999", "whatsapp-webhook-batched.json");

    assertTrue(b.messages().isEmpty());
    assertTrue(b.statuses().isEmpty());
    assertEquals(Map.of(WhatsAppNormalizer.SKIP_OTHER_PHONE_NUMBER, 6), b.skipped());
  }

  @Test
  void otherObjectsAreSkipped() throws IOException {
    JsonNode root = EnvelopeJson.mapper().readTree("{\"object\":\"page\",\"entry\":[]}");
    WebhookBatch<WhatsAppStatus> b = new WhatsAppNormalizer(NETWORK, PYWA_NUMBER_ID).normalize(root);

    assertEquals(Map.of(WebhookBatch.SKIP_OTHER_OBJECT, 1), b.skipped());
  }

  @Test
  void textThatCannotBeMappedIsCountedNotThrown() throws IOException {
    String body = fixtureTextWith("\"from\": \"972987654321\"", "\"from\": \"48XXXXXXXXX \"");
    WebhookBatch<WhatsAppStatus> b =
        new WhatsAppNormalizer(NETWORK, PYWA_NUMBER_ID).normalize(EnvelopeJson.mapper().readTree(body));

    assertTrue(b.messages().isEmpty());
    assertEquals(Map.of(WebhookBatch.SKIP_INVALID_MESSAGE, 1), b.skipped());
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
      WebhookBatch<WhatsAppStatus> b =
          new WhatsAppNormalizer(NETWORK, PYWA_NUMBER_ID).normalize(EnvelopeJson.mapper().readTree(body));
      assertEquals(Map.of(WebhookBatch.SKIP_INVALID_MESSAGE, 1), b.skipped(), edit[0]);
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

  // --- version 2 content (official examples from the Cloud API docs, and captures) -----------

  private static final String DOCS_NUMBER_ID = "106540352242922";

  private static Envelope only(String numberId, String fixture) throws IOException {
    WebhookBatch<WhatsAppStatus> b = normalize(numberId, fixture);
    assertEquals(Map.of(), b.skipped(), fixture);
    assertEquals(1, b.messages().size(), fixture);
    return b.messages().get(0);
  }

  @Test
  void imageBecomesMediaHeldByWhatsAppWithItsHashAsHex() throws IOException {
    Envelope e = only(DOCS_NUMBER_ID, "whatsapp-webhook-image-docs.json");
    Content.Media m = (Content.Media) e.content();
    assertEquals(Content.MediaKind.IMAGE, m.mediaKind());
    assertTrue(m.held());
    assertEquals("1003383421387256", m.source(), "the media id, resolved through the Graph API when fetched");
    assertNull(m.url(), "the webhook's lookaside URL expires in minutes and needs the token: not kept");
    assertEquals("image/jpeg", m.mimeType());
    assertEquals(java.util.HexFormat.of().formatHex(
        java.util.Base64.getDecoder().decode("SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=")), m.sha256());
    assertEquals("Taj Mahal", m.caption());
    assertEquals(Address.of("whatsapp:+15550001111"), e.from());
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({
    "whatsapp-webhook-audio-voice-docs.json, VOICE, audio/ogg; codecs=opus, 1234567890987654321, , ",
    "whatsapp-webhook-video-docs.json, VIDEO, video/mp4, 765756756, caption, ",
    "whatsapp-webhook-document-docs.json, FILE, application/pdf, , , ",
    "whatsapp-webhook-sticker-docs.json, STICKER, image/webp, , , ",
  })
  void everyMediaTypeIsMapped(String fixture, Content.MediaKind kind, String mime, String id, String caption, String x)
      throws IOException {
    JsonNode root = EnvelopeJson.mapper().readTree(fixture(fixture));
    String numberId = root.path("entry").path(0).path("changes").path(0).path("value").path("metadata")
        .path("phone_number_id").asText();
    Content.Media m = (Content.Media) only(numberId, fixture).content();
    assertEquals(kind, m.mediaKind());
    assertTrue(m.mimeType().startsWith(mime), m.mimeType());
    if (id != null) {
      assertEquals(id, m.source());
    }
    if (caption != null) {
      assertEquals(caption, m.caption());
    }
  }

  @Test
  void documentKeepsItsFileName() throws IOException {
    JsonNode root = EnvelopeJson.mapper().readTree(fixture("whatsapp-webhook-document-docs.json"));
    String expected = root.path("entry").path(0).path("changes").path(0).path("value").path("messages").path(0)
        .path("document").path("filename").asText();
    Content.Media m = (Content.Media) only(DOCS_NUMBER_ID, "whatsapp-webhook-document-docs.json").content();
    assertEquals(expected, m.name());
  }

  @Test
  void locationsReactionsEditsAndRevokesAreMapped() throws IOException {
    assertEquals(new Content.Location(37.44221496582, -122.16165924072, "Philz Coffee"),
        only(DOCS_NUMBER_ID, "whatsapp-webhook-location-docs.json").content());
    Content.Location bare = (Content.Location) only(BINDAMBC_NUMBER_ID, "whatsapp-webhook-location-no-name-bindambc.json").content();
    assertTrue(bare.latitude() != 0 || bare.longitude() != 0);

    Content.Reaction r = (Content.Reaction) only(DOCS_NUMBER_ID, "whatsapp-webhook-reaction-docs.json").content();
    assertEquals(MessageId.of("wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="), r.target());
    assertEquals("\uD83D\uDC4D", r.emoji());
    for (String removed : List.of("whatsapp-webhook-reaction-removed-docs.json")) {
      assertTrue(((Content.Reaction) only(DOCS_NUMBER_ID, removed).content()).removal(), removed);
    }
    for (String removed : List.of("whatsapp-webhook-reaction-removed-empty-emoji-pywa.json",
        "whatsapp-webhook-reaction-removed-no-emoji-pywa.json")) {
      assertTrue(((Content.Reaction) only(PYWA_NUMBER_ID, removed).content()).removal(), removed);
    }

    Content.Edit edit = (Content.Edit) only(DOCS_NUMBER_ID, "whatsapp-webhook-edit-docs.json").content();
    assertEquals(MessageId.of("wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="), edit.target());
    assertEquals("Updated image caption", edit.text(), "a media message's edit is its new caption");
    Content.Delete revoke = (Content.Delete) only(DOCS_NUMBER_ID, "whatsapp-webhook-revoke-docs.json").content();
    assertEquals(MessageId.of("wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="), revoke.target());
  }

  @Test
  void aReadStatusIsAlsoTheReadersReceipt() throws IOException {
    WebhookBatch<WhatsAppStatus> b = normalize(BINDAMBC_NUMBER_ID, "whatsapp-webhook-status-read-bindambc.json");
    assertEquals(1, b.reads().size());
    var read = b.reads().get(0);
    assertEquals(Address.of("whatsapp:+" + b.reads().get(0).from().account().substring(1)), read.from());
    assertEquals(List.of(MessageId.of("wamid.nBgN6TUyN2k5NzAzM5kzNhUCABI8FDNFQjAxQkE5REI4NEUzQ5Y5QTNgAA==")), read.ids());
    assertEquals(Instant.ofEpochSecond(1673020317L), read.at());
    assertTrue(normalize(BINDAMBC_NUMBER_ID, "whatsapp-webhook-status-delivered-bindambc.json").reads().isEmpty());
  }

  @Test
  void mediaHashesFromBothPlacesComeOutAsHex() {
    String hex = "72fd8a734216768565faf2b59cec266eea00a78dd039ce84356319fc8c4ad22e";
    assertEquals(hex, WhatsAppNormalizer.sha256Hex(hex.toUpperCase()));
    assertEquals(hex, WhatsAppNormalizer.sha256Hex(java.util.Base64.getEncoder().encodeToString(
        java.util.HexFormat.of().parseHex(hex))));
    assertNull(WhatsAppNormalizer.sha256Hex("a1b2c3d4e5f6..."), "a placeholder is no hash");
    assertNull(WhatsAppNormalizer.sha256Hex(null));
  }
}
