package io.parlor.adapter.messenger;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.parlor.adapter.meta.MetaTestSupport.ACCESS_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.VERIFY_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static io.parlor.adapter.meta.MetaTestSupport.fixtureText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.EventResult;
import io.parlor.spi.EventSender;
import io.parlor.spi.MediaSource;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.StatusReceiver;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.http.HttpRoute;
import io.parlor.spi.json.EnvelopeJson;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10 on the Messenger Platform (WireMock plays the Send API): attachments by URL after a
 * text naming the sender, reactions as sender actions, {@code mark_seen} for read receipts,
 * {@code typing_on/off}, read watermarks in, attachment URLs as media sources, and the closed
 * window: a configured message tag, else {@code WINDOW_CLOSED}.
 */
class MessengerConversationsIT {
  private static final String MESSAGES = "/v21.0/me/messages";
  private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
  private static final String PSID = "6543210987654321";

  private WireMockServer graph;
  private final MetaTestSupport.FakeClock clock = new MetaTestSupport.FakeClock(T0);
  private final MetaTestSupport.FakeSink sink = new MetaTestSupport.FakeSink();
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private Adapter adapter;

  @BeforeEach
  void startGraph() {
    graph = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().jettyAcceptors(1));
    graph.start();
    graph.stubFor(post(urlEqualTo(MESSAGES)).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(fixtureText("messenger-send-success.json"))));
  }

  @AfterEach
  void stopAll() throws Exception {
    if (adapter != null) {
      adapter.stop(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    graph.stop();
  }

  private void start(Optional<String> tag) throws Exception {
    MessengerConfig c = new MessengerConfig(
        Platform.MESSENGER, "1122334455", TestSupport.graph(URI.create(graph.baseUrl()), 300, Duration.ofSeconds(5)), tag);
    adapter = new MessengerAdapterProvider().create(c, new AdapterContext(
        NetworkId.of("messenger"), clock, sink, (n, h) -> {}, r -> {},
        e -> {
          events.add(e);
          return CompletableFuture.completedFuture(EventResult.accepted());
        }));
    adapter.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static Envelope from(String sender, Content content) {
    return Envelope.of(MessageId.of("g-1"), Address.of(sender), Address.of("messenger:" + PSID), T0, content);
  }

  private static DeliveryTarget to(String key) {
    return new DeliveryTarget(Address.of("messenger:" + PSID), key);
  }

  private List<JsonNode> sent() {
    return graph.findAll(postRequestedFor(urlEqualTo(MESSAGES))).stream().map(r -> {
      try {
        return EnvelopeJson.mapper().readTree(r.getBody());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }).toList();
  }

  private static <T> T await(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void mediaGoesAsAnAttachmentAfterATextNamingTheSender() throws Exception {
    start(Optional.empty());
    Content.Media photo = Content.Media.atUrl(Content.MediaKind.IMAGE, "https://node.example/media/AbC", "image/jpeg", null, null)
        .withCaption("the view");
    await(adapter.deliver(from("~abcd1234", photo).withFromName("Alice"), to("g-1")));
    List<JsonNode> bodies = sent();
    assertEquals(2, bodies.size());
    assertEquals("Alice (~abcd1234): \uD83D\uDCF7 photo: the view", bodies.get(0).path("message").path("text").asText());
    JsonNode sample = EnvelopeJson.mapper().readTree(fixture("messenger-send-attachment-url-samples.json"));
    JsonNode attachment = bodies.get(1).path("message").path("attachment");
    assertEquals(sample.path("message").path("attachment").path("type"), attachment.path("type"));
    assertEquals("https://node.example/media/AbC", attachment.path("payload").path("url").asText());
    assertEquals(sample.path("message").path("attachment").path("payload").path("is_reusable"),
        attachment.path("payload").path("is_reusable"));
    assertEquals(PSID, bodies.get(1).path("recipient").path("id").asText());
  }

  @Test
  void reactionsAreSenderActionsOnTheMessage() throws Exception {
    start(Optional.empty());
    await(adapter.deliver(from("~abcd1234", new Content.Reaction(MessageId.of("m_xyz"), "\uD83D\uDE0A")), to("g-2")));
    JsonNode doc = EnvelopeJson.mapper().readTree(fixture("messenger-send-react-docs.json"));
    JsonNode r = sent().get(0);
    assertEquals(doc.path("sender_action"), r.path("sender_action"));
    assertEquals("m_xyz", r.path("payload").path("message_id").asText());
    assertEquals("\uD83D\uDE0A", r.path("payload").path("reaction").asText());
    await(adapter.deliver(from("~abcd1234", new Content.Reaction(MessageId.of("m_xyz"), "")), to("g-3")));
    assertEquals("unreact", sent().get(1).path("sender_action").asText());
    assertFalse(sent().get(1).path("payload").has("reaction"));
  }

  @Test
  void locationsEditsAndDeletesAreNotSentAsIfSupported() throws Exception {
    start(Optional.empty());
    for (Content c : List.of(new Content.Location(1, 2, null), new Content.Edit(MessageId.of("m"), "x"),
        new Content.Delete(MessageId.of("m")))) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> await(adapter.deliver(from("~abcd1234", c), to("g-4"))));
      assertEquals(PermanentDeliveryException.Reason.UNSUPPORTED, ((PermanentDeliveryException) e.getCause()).reason());
    }
    assertTrue(sent().isEmpty());
  }

  @Test
  void readReceiptsAreMarkSeenAndTypingIsTypingOnAndOff() throws Exception {
    start(Optional.empty());
    StatusReceiver statuses = adapter.feature(StatusReceiver.class).orElseThrow();
    await(statuses.reportStatus(new StatusReport(MessageId.of("m_in"), StatusReport.Status.READ, "", T0, null,
        Address.of("messenger:" + PSID))));
    JsonNode seen = sent().get(0);
    JsonNode doc = EnvelopeJson.mapper().readTree(fixture("messenger-send-mark-seen-docs.json"));
    assertEquals(doc, seen);
    await(statuses.reportStatus(new StatusReport(MessageId.of("m_in"), StatusReport.Status.DELIVERED, "", T0)));
    assertEquals(1, sent().size());

    EventSender typing = adapter.feature(EventSender.class).orElseThrow();
    Address who = Address.of("messenger:" + PSID);
    await(typing.typing(new EventSender.TypingNotice(who, Address.of("~abcd1234"), true, null, false)));
    await(typing.typing(new EventSender.TypingNotice(who, Address.of("~abcd1234"), false, null, false)));
    assertEquals("typing_on", sent().get(1).path("sender_action").asText());
    assertEquals("typing_off", sent().get(2).path("sender_action").asText());
  }

  @Test
  void readWatermarksBecomeReadReceiptsAndAttachmentUrlsAreTheirOwnSource() throws Exception {
    start(Optional.empty());
    HttpRoute post = adapter.routes().stream().filter(r -> r.method().equals("POST")).findFirst().orElseThrow();
    assertEquals(200, await(post.handler().handle(
        MetaTestSupport.signedPost("/webhooks/messenger", fixture("messenger-webhook-read.json")))).status());
    assertEquals(1, events.size());
    assertTrue(((Event.Read) events.get(0)).watermark() != null);
    MediaSource.MediaLocation loc = await(adapter.feature(MediaSource.class).orElseThrow()
        .locate("https://scontent.xx.fbcdn.net/v/t1.15752-9/image.png"));
    assertEquals(URI.create("https://scontent.xx.fbcdn.net/v/t1.15752-9/image.png"), loc.url());
    assertTrue(loc.headers().isEmpty(), "no token goes to the CDN");
  }

  @Test
  void aClosedWindowIsRetriedWithTheConfiguredTagElseFailsWindowClosed() throws Exception {
    String closed = "{\"error\":{\"message\":\"(#10) This message is sent outside of allowed window.\","
        + "\"type\":\"OAuthException\",\"code\":10,\"error_subcode\":2018278,\"fbtrace_id\":\"A\"}}";
    graph.stubFor(post(urlEqualTo(MESSAGES)).inScenario("window").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json").withBody(closed))
        .willSetStateTo("tagged"));
    graph.stubFor(post(urlEqualTo(MESSAGES)).inScenario("window").whenScenarioStateIs("tagged")
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
            .withBody(fixtureText("messenger-send-success.json"))));
    start(Optional.of("HUMAN_AGENT"));
    await(adapter.deliver(from("~abcd1234", new Content.Text("are you there?")), to("g-5")));
    List<JsonNode> bodies = sent();
    assertEquals(2, bodies.size());
    assertEquals("RESPONSE", bodies.get(0).path("messaging_type").asText());
    assertEquals("MESSAGE_TAG", bodies.get(1).path("messaging_type").asText());
    assertEquals("HUMAN_AGENT", bodies.get(1).path("tag").asText());
  }

  @Test
  void aClosedWindowWithoutATagIsWindowClosed() throws Exception {
    graph.stubFor(post(urlEqualTo(MESSAGES)).willReturn(aResponse().withStatus(403).withHeader("Content-Type", "application/json")
        .withBody(fixtureText("instagram-error-outside-window.json"))));
    start(Optional.empty());
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> await(adapter.deliver(from("~abcd1234", new Content.Text("hi")), to("g-6"))));
    assertEquals(PermanentDeliveryException.Reason.WINDOW_CLOSED, ((PermanentDeliveryException) e.getCause()).reason());
  }
}
