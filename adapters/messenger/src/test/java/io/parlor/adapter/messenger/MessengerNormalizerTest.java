package io.parlor.adapter.messenger;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.adapter.meta.WebhookBatch;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.json.EnvelopeJson;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import static io.parlor.adapter.messenger.TestSupport.PAGE_ID;
import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessengerNormalizerTest {
  private static final NetworkId MESSENGER = NetworkId.of("messenger");
  private static final NetworkId INSTAGRAM = NetworkId.of("instagram");
  private static final String MID =
      "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P";
  private static final String IG_MID =
      "aWdfbWVzc2FnZV9pdGVtOjE6SUdNZXNzYWdlVGhyZWFkOjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI3NjAxNzcxMDk2NjE4MzQy"
          + "MTozMTA0OTg1NzI4NjEyMDM4NDc1MTAyMzk0ODEZDZD";
  private static final String IG_MID_PREV =
      "aWdfbWVzc2FnZV9pdGVtOjE6SUdNZXNzYWdlVGhyZWFkOjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI3NjAxNzcxMDk2NjE4MzQy"
          + "MTozMTA0OTg1NzI4NjEyMDM4NDc1MTAyMzk0ODAZDZD";

  private static WebhookBatch<MessengerStatus> messenger(String fixture) throws IOException {
    return new MessengerNormalizer(MESSENGER, Platform.MESSENGER, PAGE_ID)
        .normalize(EnvelopeJson.mapper().readTree(fixture(fixture)));
  }

  private static WebhookBatch<MessengerStatus> instagram(String fixture) throws IOException {
    return new MessengerNormalizer(INSTAGRAM, Platform.INSTAGRAM, PAGE_ID)
        .normalize(EnvelopeJson.mapper().readTree(fixture(fixture)));
  }

  @Test
  void messengerTextBecomesEnvelope() throws IOException {
    WebhookBatch<MessengerStatus> b = messenger("messenger-webhook-text.json");

    assertEquals(1, b.messages().size());
    Envelope e = b.messages().get(0);
    assertEquals(MessageId.of(MID), e.id());
    assertEquals(Address.of("messenger:6543210987654321"), e.from());
    assertEquals(Address.of("messenger:1122334455"), e.to());
    assertEquals(Instant.ofEpochMilli(1583173666767L), e.sentAt());
    assertEquals(new Content.Text("This is a text message"), e.content());
    assertNull(e.replyTo());
    assertEquals(0, b.skippedCount());
  }

  @Test
  void replyToMidBecomesReplyTo() throws IOException {
    Envelope e = messenger("messenger-webhook-reply.json").messages().get(0);
    assertEquals(
        MessageId.of("m_1TkfXNtYSzVX9VOG0mCtWWRf8w9Zb-WA3qmfDkDZzfa6p9cJKXqKwYCo3f2VYbbWC5VbNXzk5KRIdJGH9kLcLw"),
        e.replyTo());
  }

  @Test
  void quickReplyIsText() throws IOException {
    assertEquals(new Content.Text("Red"), messenger("messenger-webhook-quick-reply.json").messages().get(0).content());
  }

  @Test
  void escapedUnicodeIsDecoded() throws IOException {
    assertEquals(new Content.Text("caf\u00e9 cr\u00e8me \ud83d\ude00"),
        messenger("messenger-webhook-text-escaped-unicode.json").messages().get(0).content());
  }

  @ParameterizedTest(name = "{0} is skipped as {1}")
  @CsvSource({
    "messenger-webhook-echo.json, echo",
    "messenger-webhook-postback.json, postback",
  })
  void messengerNonTextIsSkippedAndCounted(String fixture, String kind) throws IOException {
    WebhookBatch<MessengerStatus> b = messenger(fixture);
    assertTrue(b.messages().isEmpty());
    assertTrue(b.statuses().isEmpty());
    assertEquals(Map.of(kind, 1), b.skipped());
  }

  @Test
  void deliveryAndReadBecomeStatuses() throws IOException {
    assertEquals(
        List.of(new MessengerStatus(MessengerStatus.State.DELIVERED, List.of(MessageId.of(MID)),
            Instant.ofEpochMilli(1458668856253L))),
        messenger("messenger-webhook-delivery.json").statuses());
    assertEquals(
        List.of(new MessengerStatus(MessengerStatus.State.READ, List.of(), Instant.ofEpochMilli(1458668856253L))),
        messenger("messenger-webhook-read.json").statuses());
  }

  @Test
  void batchedWebhookCountsEveryEntryAndEvent() throws IOException {
    WebhookBatch<MessengerStatus> b = messenger("messenger-webhook-batched.json");

    assertEquals(List.of("m_batch-1", "m_batch-2", "m_batch-3", "m_batch-4"),
        b.messages().stream().map(e -> e.id().value()).toList());
    assertEquals(Content.MediaKind.FILE, ((Content.Media) b.messages().get(1).content()).mediaKind());
    assertEquals(Map.of(), b.skipped());
    assertEquals(2, b.statuses().size());
    assertEquals(List.of(MessageId.of("m_out-1"), MessageId.of("m_out-2")), b.statuses().get(0).messageIds());
    assertEquals(MessengerStatus.State.READ, b.statuses().get(1).state());
  }

  @Test
  void entriesForAnotherPageAreSkipped() throws IOException {
    WebhookBatch<MessengerStatus> b = new MessengerNormalizer(MESSENGER, Platform.MESSENGER, "999")
        .normalize(EnvelopeJson.mapper().readTree(fixture("messenger-webhook-batched.json")));
    assertTrue(b.messages().isEmpty());
    assertEquals(Map.of(MessengerNormalizer.SKIP_OTHER_PAGE, 6), b.skipped());
  }

  @Test
  void instagramTextWithLongMidGetsAStableShortId() throws IOException {
    WebhookBatch<MessengerStatus> b = instagram("instagram-webhook-text.json");

    Envelope e = b.messages().get(0);
    assertTrue(IG_MID.length() > MessageId.MAX_LENGTH);
    assertEquals(MessengerNormalizer.messageId(IG_MID), e.id());
    assertTrue(e.id().value().startsWith("sha256:"));
    assertEquals(Address.of("instagram:7400000000000012"), e.from());
    assertEquals(Address.of("instagram:1122334455"), e.to());
    assertEquals(Instant.ofEpochMilli(1569262485349L), e.sentAt());
    assertEquals(new Content.Text("Hello from Instagram"), e.content());
    // Redelivery maps to the same id, so the core's dedupe works.
    assertEquals(e.id(), instagram("instagram-webhook-text.json").messages().get(0).id());
  }

  @Test
  void instagramReplyAndReadUseTheSameIdForm() throws IOException {
    assertEquals(MessengerNormalizer.messageId(IG_MID_PREV),
        instagram("instagram-webhook-reply.json").messages().get(0).replyTo());
    assertEquals(
        List.of(new MessengerStatus(MessengerStatus.State.READ, List.of(MessengerNormalizer.messageId(IG_MID_PREV)),
            Instant.ofEpochMilli(1569262485999L))),
        instagram("instagram-webhook-read.json").statuses());
  }

  @ParameterizedTest(name = "{0} is skipped as {1}")
  @CsvSource({
    "instagram-webhook-story-mention.json, story_mention",
  })
  void instagramNonTextIsSkipped(String fixture, String kind) throws IOException {
    WebhookBatch<MessengerStatus> b = instagram(fixture);
    assertTrue(b.messages().isEmpty());
    assertEquals(Map.of(kind, 1), b.skipped());
  }

  @Test
  void theWrongObjectIsSkipped() throws IOException {
    assertEquals(Map.of(WebhookBatch.SKIP_OTHER_OBJECT, 1), instagram("messenger-webhook-text.json").skipped());
    assertEquals(Map.of(WebhookBatch.SKIP_OTHER_OBJECT, 1), messenger("instagram-webhook-text.json").skipped());
  }

  @Test
  void unmappableMessagesAreCountedNotThrown() throws IOException {
    String text = MetaTestSupport.fixtureText("messenger-webhook-text.json");
    for (String[] edit : new String[][] {
      {"\"id\": \"6543210987654321\"", "\"id\": \"not-a-psid\""},
      {"\"timestamp\": 1583173666767,", ""},
      {"\"text\": \"This is a text message\"", "\"text\": \"\""},
      {"\"mid\": \"" + MID + "\",", ""},
    }) {
      assertTrue(text.contains(edit[0]), edit[0]);
      JsonNode root = EnvelopeJson.mapper().readTree(text.replace(edit[0], edit[1]));
      WebhookBatch<MessengerStatus> b = new MessengerNormalizer(MESSENGER, Platform.MESSENGER, PAGE_ID).normalize(root);
      assertEquals(Map.of(WebhookBatch.SKIP_INVALID_MESSAGE, 1), b.skipped(), edit[0]);
    }
  }

  @ParameterizedTest(name = "scoped id \"{0}\" → {1}")
  @CsvSource(value = {"'6543210987654321' | 6543210987654321", "' 123 ' | 123", "'abc' | ", "'' | ", "'+123' | "},
      delimiter = '|')
  void scopedIdsAreDigits(String id, String expected) {
    assertEquals(Optional.ofNullable(expected), MessengerNormalizer.scopedId(id));
  }

  // --- version 2 content ---------------------------------------------------------------------

  @Test
  void attachmentsBecomeMediaHeldByThePlatform() throws IOException {
    WebhookBatch<MessengerStatus> b = messenger("messenger-webhook-attachment-image.json");
    assertEquals(Map.of(), b.skipped());
    Content.Media m = (Content.Media) b.messages().get(0).content();
    assertEquals(Content.MediaKind.IMAGE, m.mediaKind());
    assertEquals("https://scontent.xx.fbcdn.net/v/t1.15752-9/image.png", m.source(),
        "the CDN URL is the source: only the node fetches it, on request");
    assertNull(m.url());
    assertEquals("image/jpeg", m.mimeType());
  }

  @Test
  void editsReactionsAndDeletesAreMapped() throws IOException {
    Envelope edit = messenger("messenger-webhook-message-edit-docs.json").messages().get(0);
    assertEquals(new Content.Edit(MessageId.of("<MESSAGE_ID>"), "<TEXT>"), edit.content());
    assertEquals(MessageId.of("<MESSAGE_ID>#edit1"), edit.id(), "each edit is its own message");

    Envelope reaction = messenger("messenger-webhook-reaction.json").messages().get(0);
    assertEquals(new Content.Reaction(MessageId.of(MID), "\u2764\uFE0F"), reaction.content());
    assertEquals(Address.of("messenger:6543210987654321"), reaction.from());
    String unreact = new String(fixture("messenger-webhook-reaction.json")).replace("\"react\"", "\"unreact\"");
    Envelope removal = new MessengerNormalizer(MESSENGER, Platform.MESSENGER, "1122334455")
        .normalize(EnvelopeJson.mapper().readTree(unreact)).messages().get(0);
    assertTrue(((Content.Reaction) removal.content()).removal());

    Envelope deleted = instagram("instagram-webhook-deleted.json").messages().get(0);
    Content.Delete d = (Content.Delete) deleted.content();
    assertEquals(GraphIdsForTest.id(IG_MID), d.target(), "the unsent message, in the same id form as deliveries");
  }

  @Test
  void readEventsAreReadReceipts() throws IOException {
    WebhookBatch<MessengerStatus> b = messenger("messenger-webhook-read.json");
    assertEquals(1, b.reads().size());
    var read = b.reads().get(0);
    assertEquals(Address.of("messenger:6543210987654321"), read.from());
    assertTrue(read.ids().isEmpty());
    assertEquals(read.at(), read.watermark(), "Messenger reports a watermark");
    var ig = instagram("instagram-webhook-read.json").reads();
    assertEquals(1, ig.size());
    assertEquals(1, ig.get(0).ids().size(), "Instagram names the message read");
  }
}
