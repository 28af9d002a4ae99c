package io.parlor.adapter.whatsapp;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
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
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.CodeDelivery;
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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10 on the WhatsApp Cloud API (WireMock plays the Graph API): media by link with the
 * sender in the caption (or in a text first, for media without captions), reactions, locations,
 * reply context, mark-as-read, the typing indicator, media ids resolved for the node's capability
 * URLs, read statuses as read receipts, and the customer-service window with templates.
 */
class WhatsAppConversationsIT {
  private static final String NUMBER_ID = "1122334455667";
  private static final String MESSAGES = "/v21.0/" + NUMBER_ID + "/messages";
  private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
  private static final String WAMID_OUT = "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww";

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
        .withHeader("Content-Type", "application/json").withBody(fixtureText("whatsapp-send-success-bindambc.json"))));
  }

  @AfterEach
  void stopAll() throws Exception {
    if (adapter != null) {
      adapter.stop(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    graph.stop();
  }

  private void start(Optional<WhatsAppConfig.Template> message, Optional<WhatsAppConfig.Template> code) throws Exception {
    WhatsAppConfig c = new WhatsAppConfig(
        NUMBER_ID, TestSupport.graph(URI.create(graph.baseUrl()), 80, Duration.ofSeconds(5)), message, code);
    adapter = new WhatsAppAdapterProvider().create(c, new AdapterContext(
        NetworkId.of("whatsapp"), clock, sink, (n, h) -> {}, r -> {},
        e -> {
          events.add(e);
          return CompletableFuture.completedFuture(EventResult.accepted());
        }));
    adapter.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private void start() throws Exception {
    start(Optional.empty(), Optional.empty());
  }

  private static Envelope from(String sender, io.parlor.spi.envelope.Content content) {
    return Envelope.of(MessageId.of("g-1"), Address.of(sender), Address.of("whatsapp:+447700900123"), T0, content);
  }

  private static DeliveryTarget to(String key) {
    return new DeliveryTarget(Address.of("whatsapp:+447700900123"), key);
  }

  private List<JsonNode> sent() {
    return graph.findAll(postRequestedFor(urlEqualTo(MESSAGES))).stream()
        .map(r -> {
          try {
            return EnvelopeJson.mapper().readTree(r.getBody());
          } catch (java.io.IOException e) {
            throw new AssertionError(e);
          }
        }).toList();
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void imageGoesByLinkWithTheSenderInItsCaption() throws Exception {
    start();
    Content.Media photo = Content.Media.atUrl(Content.MediaKind.IMAGE, "https://node.example/media/AbC", "image/jpeg", 10L, null)
        .withCaption("the view");
    Envelope e = from("~abcd1234", photo).withFromName("Alice").withReplyTo(MessageId.of("wamid.earlier"));
    assertEquals(WAMID_OUT, await(adapter.deliver(e, to("g-1"))).networkMessageId());
    graph.verify(postRequestedFor(urlEqualTo(MESSAGES)).withRequestBody(equalToJson(
        "{\"messaging_product\":\"whatsapp\",\"to\":\"447700900123\",\"type\":\"image\","
            + "\"image\":{\"link\":\"https://node.example/media/AbC\",\"caption\":\"Alice (~abcd1234): the view\"},"
            + "\"context\":{\"message_id\":\"wamid.earlier\"}}")));
  }

  @Test
  void aVoiceMessageHasNoCaptionSoATextNamesTheSenderFirst() throws Exception {
    start();
    Content.Media voice = Content.Media.atUrl(Content.MediaKind.VOICE, "https://node.example/media/v", "audio/ogg; codecs=opus", null, null);
    await(adapter.deliver(from("@bob", voice), to("g-2")));
    List<JsonNode> bodies = sent();
    assertEquals(2, bodies.size());
    assertEquals("@bob: \uD83C\uDFA4 voice message", bodies.get(0).path("text").path("body").asText());
    assertEquals("audio", bodies.get(1).path("type").asText());
    assertEquals("https://node.example/media/v", bodies.get(1).path("audio").path("link").asText());
    Content.Media file = Content.Media.atUrl(Content.MediaKind.FILE, "https://node.example/media/f", "application/pdf", null, null)
        .withName("report.pdf");
    await(adapter.deliver(from("@bob", file), to("g-3")));
    JsonNode doc = sent().get(2);
    assertEquals("document", doc.path("type").asText());
    assertEquals("report.pdf", doc.path("document").path("filename").asText());
    assertEquals("@bob", doc.path("document").path("caption").asText());
  }

  @Test
  void reactionsAndLocationsHaveTheirCloudApiShapes() throws Exception {
    start();
    await(adapter.deliver(from("~abcd1234", new Content.Reaction(MessageId.of("wamid.HBgL"), "\uD83D\uDC4D")), to("g-4")));
    JsonNode expected = EnvelopeJson.mapper().readTree(fixture("whatsapp-send-reaction-docs.json"));
    JsonNode r = sent().get(0);
    assertEquals(expected.path("type"), r.path("type"));
    assertEquals("wamid.HBgL", r.path("reaction").path("message_id").asText());
    assertEquals("\uD83D\uDC4D", r.path("reaction").path("emoji").asText());
    assertEquals(expected.path("reaction").fieldNames().next(), r.path("reaction").fieldNames().next());
    await(adapter.deliver(from("~abcd1234", new Content.Reaction(MessageId.of("wamid.HBgL"), "")), to("g-5")));
    assertEquals("", sent().get(1).path("reaction").path("emoji").asText(), "an empty emoji removes it");

    await(adapter.deliver(from("~abcd1234", new Content.Location(52.52, 13.405, "Alexanderplatz")), to("g-6")));
    JsonNode loc = sent().get(2);
    assertEquals("location", loc.path("type").asText());
    assertEquals(52.52, loc.path("location").path("latitude").asDouble());
    assertEquals(13.405, loc.path("location").path("longitude").asDouble());
    assertEquals("Alexanderplatz", loc.path("location").path("name").asText());
    assertEquals("shared by ~abcd1234", loc.path("location").path("address").asText());
  }

  @Test
  void editsDeletesAndEncryptedContentAreNotSentAsIfTheyWereSupported() throws Exception {
    start();
    for (Content c : List.of(new Content.Edit(MessageId.of("wamid.x"), "new"), new Content.Delete(MessageId.of("wamid.x")))) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> await(adapter.deliver(from("~abcd1234", c), to("g-7"))));
      assertEquals(PermanentDeliveryException.Reason.UNSUPPORTED, ((PermanentDeliveryException) e.getCause()).reason());
    }
    assertTrue(sent().isEmpty());
  }

  @Test
  void readStatusesMarkTheMessageReadAndTypingShowsTheIndicator() throws Exception {
    start();
    StatusReceiver statuses = adapter.feature(StatusReceiver.class).orElseThrow();
    await(statuses.reportStatus(new StatusReport(MessageId.of("wamid.fromUser"), StatusReport.Status.READ, "", T0)));
    graph.verify(postRequestedFor(urlEqualTo(MESSAGES)).withRequestBody(equalToJson(
        new String(fixture("whatsapp-send-mark-read-docs.json")).replace("<WHATSAPP_MESSAGE_ID>", "wamid.fromUser")
            .replaceAll("\"message_id\"\\s*:\\s*\"[^\"]*\"", "\"message_id\":\"wamid.fromUser\""))));
    await(statuses.reportStatus(new StatusReport(MessageId.of("wamid.fromUser"), StatusReport.Status.DELIVERED, "", T0)));
    assertEquals(1, sent().size(), "nothing to show for a delivered status");

    EventSender typing = adapter.feature(EventSender.class).orElseThrow();
    Address who = Address.of("whatsapp:+447700900123");
    await(typing.typing(new EventSender.TypingNotice(who, Address.of("~abcd1234"), true, MessageId.of("wamid.last"), true)));
    JsonNode t = sent().get(1);
    assertEquals("read", t.path("status").asText());
    assertEquals("wamid.last", t.path("message_id").asText());
    assertEquals("text", t.path("typing_indicator").path("type").asText());
    // the indicator also marks the message read: never for a typist who hides read receipts
    await(typing.typing(new EventSender.TypingNotice(who, Address.of("~abcd1234"), true, MessageId.of("wamid.last"), false)));
    await(typing.typing(new EventSender.TypingNotice(who, Address.of("~abcd1234"), false, MessageId.of("wamid.last"), true)));
    await(typing.typing(new EventSender.TypingNotice(who, Address.of("~abcd1234"), true, null, true)));
    assertEquals(2, sent().size());
  }

  @Test
  void mediaIdsResolveToTheGraphDownloadUrlWithTheToken() throws Exception {
    graph.stubFor(get(urlEqualTo("/v21.0/1227829768162607")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(fixtureText("whatsapp-media-get-response-docs.json"))));
    start();
    MediaSource.MediaLocation loc = await(adapter.feature(MediaSource.class).orElseThrow().locate("1227829768162607"));
    assertTrue(loc.url().toString().startsWith("https://lookaside.fbsbx.com/whatsapp_business/attachments/"));
    assertEquals("Bearer " + ACCESS_TOKEN, loc.headers().get("authorization"));
    assertEquals(103632L, loc.size());
    assertEquals("72fd8a734216768565faf2b59cec266eea00a78dd039ce84356319fc8c4ad22e", loc.sha256());
    graph.verify(getRequestedFor(urlEqualTo("/v21.0/1227829768162607")).withHeader("Authorization", equalTo("Bearer " + ACCESS_TOKEN)));
    ExecutionException gone = assertThrows(ExecutionException.class,
        () -> await(adapter.feature(MediaSource.class).orElseThrow().locate("../me")));
    assertInstanceOf(PermanentDeliveryException.class, gone.getCause());
  }

  @Test
  void readStatusesBecomeTheReadersReceiptsAndMessagesOpenTheWindow() throws Exception {
    start(Optional.of(new WhatsAppConfig.Template("parlor_message", "en", null)), Optional.empty());
    HttpRoute post = adapter.routes().stream().filter(r -> r.method().equals("POST")).findFirst().orElseThrow();
    byte[] read = fixture("whatsapp-webhook-status-read-bindambc.json");
    String body = new String(read).replace("409552778964973", NUMBER_ID);
    assertEquals(200, await(post.handler().handle(MetaTestSupport.signedPost("/webhooks/whatsapp", body.getBytes()))).status());
    assertEquals(1, events.size());
    Event.Read r = (Event.Read) events.get(0);
    assertEquals(List.of(MessageId.of("wamid.nBgN6TUyN2k5NzAzM5kzNhUCABI8FDNFQjAxQkE5REI4NEUzQ5Y5QTNgAA==")), r.ids());

    // nobody wrote yet: outside the window text goes as the approved template
    await(adapter.deliver(from("~abcd1234", new Content.Text("hello\nthere")), to("g-8")));
    JsonNode tpl = sent().get(0);
    assertEquals("template", tpl.path("type").asText());
    assertEquals("parlor_message", tpl.path("template").path("name").asText());
    assertEquals("en", tpl.path("template").path("language").path("code").asText());
    assertEquals("~abcd1234: hello there", tpl.path("template").path("components").path(0).path("parameters").path(0).path("text").asText(),
        "no line breaks in a template parameter");
    // the person writes: within 24 hours text goes as text
    String inbound = new String(fixture("whatsapp-webhook-text-with-bsuid-pywa.json"))
        .replace("\"972987654321\"", "\"447700900123\"").replace("\"1697043223\"", "\"" + T0.getEpochSecond() + "\"");
    assertEquals(200, await(post.handler().handle(MetaTestSupport.signedPost("/webhooks/whatsapp", inbound.getBytes()))).status());
    await(adapter.deliver(from("~abcd1234", new Content.Text("again")), to("g-9")));
    assertEquals("text", sent().get(1).path("type").asText());
    clock.advance(Duration.ofHours(25));
    await(adapter.deliver(from("~abcd1234", new Content.Text("a day later")), to("g-10")));
    assertEquals("template", sent().get(2).path("type").asText());
  }

  @Test
  void aClosedWindowWithoutTemplateIsAPermanentWindowClosedFailure() throws Exception {
    graph.stubFor(post(urlEqualTo(MESSAGES)).willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
        .withBody("{\"error\":{\"message\":\"(#131047) Re-engagement message\",\"type\":\"OAuthException\",\"code\":131047,"
            + "\"error_data\":{\"messaging_product\":\"whatsapp\",\"details\":\"x\"},\"fbtrace_id\":\"A\"}}")));
    start();
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> await(adapter.deliver(from("~abcd1234", new Content.Text("hi")), to("g-11"))));
    assertEquals(PermanentDeliveryException.Reason.WINDOW_CLOSED, ((PermanentDeliveryException) e.getCause()).reason());
  }

  @Test
  void oneTimeCodesGoAsTheAuthenticationTemplate() throws Exception {
    start(Optional.empty(), Optional.of(new WhatsAppConfig.Template("parlor_code", "en_US", null)));
    CodeDelivery codes = adapter.feature(CodeDelivery.class).orElseThrow();
    await(codes.deliverCode(Address.of("whatsapp:+447700900123"), "123456", T0.plusSeconds(600), "code-1"));
    JsonNode t = sent().get(0);
    JsonNode doc = EnvelopeJson.mapper().readTree(fixture("whatsapp-send-template-auth-copy-code-docs.json"));
    assertEquals(doc.path("template").path("components").size(), t.path("template").path("components").size());
    assertEquals("123456", t.path("template").path("components").path(0).path("parameters").path(0).path("text").asText());
    assertEquals("button", t.path("template").path("components").path(1).path("type").asText());
    assertEquals("url", t.path("template").path("components").path(1).path("sub_type").asText());
    assertEquals("123456", t.path("template").path("components").path(1).path("parameters").path(0).path("text").asText());
  }

  @Test
  void withoutACodeTemplateThereIsNoCodeDelivery() throws Exception {
    start();
    assertTrue(adapter.feature(CodeDelivery.class).isEmpty());
  }
}
