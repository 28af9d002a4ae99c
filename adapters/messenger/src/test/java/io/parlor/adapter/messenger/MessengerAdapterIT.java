package io.parlor.adapter.messenger;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.parlor.adapter.messenger.TestSupport.PAGE_ID;
import static io.parlor.adapter.meta.MetaTestSupport.ACCESS_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.VERIFY_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static io.parlor.adapter.meta.MetaTestSupport.fixtureText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.HealthState;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.http.HttpRoute;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The adapter against WireMock playing the Send API, and its webhook routes with a fake core. */
class MessengerAdapterIT {
  private static final String MESSAGES = "/v21.0/me/messages";
  private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
  private static final String PSID = "6543210987654321";
  private static final String IGSID = "7400000000000012";

  private WireMockServer graph;
  private final MetaTestSupport.FakeClock clock = new MetaTestSupport.FakeClock(T0);
  private final MetaTestSupport.FakeSink sink = new MetaTestSupport.FakeSink();
  private final MetaTestSupport.Healths healths = new MetaTestSupport.Healths();
  private Adapter adapter;

  @BeforeEach
  void startGraph() {
    graph = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().jettyAcceptors(1));
    graph.start();
  }

  @AfterEach
  void stopAll() throws Exception {
    if (adapter != null) {
      adapter.stop(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    graph.stop();
  }

  private Adapter start(Platform platform, String network, int ratePerSecond, Duration timeout) throws Exception {
    MessengerConfig c = new MessengerConfig(platform, PAGE_ID, TestSupport.graph(URI.create(graph.baseUrl()), ratePerSecond, timeout));
    adapter = new MessengerAdapterProvider()
        .create(c, new AdapterContext(NetworkId.of(network), clock, sink, healths));
    adapter.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
    return adapter;
  }

  private Adapter startMessenger() throws Exception {
    return start(Platform.MESSENGER, "messenger", 300, Duration.ofSeconds(5));
  }

  private static Envelope text(String from, String text) {
    return Envelope.of(MessageId.of("g-1"), Address.of(from), Address.of("messenger:" + PSID), T0,
        new Content.Text(text));
  }

  private static DeliveryTarget target(String recipient, String key) {
    return new DeliveryTarget(Address.of(recipient), key);
  }

  private static DeliveryResult await(CompletionStage<DeliveryResult> s) throws Exception {
    return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Throwable failure(CompletionStage<DeliveryResult> s) {
    return assertThrows(ExecutionException.class, () -> s.toCompletableFuture().get(10, TimeUnit.SECONDS)).getCause();
  }

  private void stubSend(int status, String body) {
    graph.stubFor(post(urlEqualTo(MESSAGES))
        .willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body)));
  }

  @Test
  void messengerTextOut() throws Exception {
    stubSend(200, fixtureText("messenger-send-success.json"));
    startMessenger();

    DeliveryResult r = await(adapter.deliver(text("~abcd1234", "hello \u00e9"), target("messenger:" + PSID, "g-1")));

    assertEquals("m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P",
        r.networkMessageId());
    graph.verify(1, postRequestedFor(urlEqualTo(MESSAGES))
        .withHeader("Authorization", equalTo("Bearer " + ACCESS_TOKEN))
        .withHeader("Content-Type", equalTo("application/json"))
        .withRequestBody(equalToJson("{\"recipient\":{\"id\":\"" + PSID + "\"},\"messaging_type\":\"RESPONSE\","
            + "\"message\":{\"text\":\"~abcd1234: hello \u00e9\"}}")));
  }

  @Test
  void instagramTextOutAndLongMessageIdsUseTheInboundIdForm() throws Exception {
    stubSend(200, fixtureText("instagram-send-success.json"));
    start(Platform.INSTAGRAM, "instagram", 300, Duration.ofSeconds(5));

    DeliveryResult r = await(adapter.deliver(text("@alice", "hi from the gateway"), target("instagram:" + IGSID, "g-2")));

    graph.verify(1, postRequestedFor(urlEqualTo(MESSAGES))
        .withHeader("Authorization", equalTo("Bearer " + ACCESS_TOKEN))
        .withRequestBody(equalToJson("{\"recipient\":{\"id\":\"" + IGSID + "\"},\"messaging_type\":\"RESPONSE\","
            + "\"message\":{\"text\":\"@alice: hi from the gateway\"}}")));
    // The answer's id is longer than a MessageId: it gets the same stable form inbound replies use.
    String raw = MetaTestSupport.fixtureText("instagram-send-success.json");
    String mid = raw.substring(raw.indexOf("\"message_id\": \"") + 15, raw.lastIndexOf('"'));
    assertEquals(MessengerNormalizer.messageId(mid).value(), r.networkMessageId());
    assertTrue(r.networkMessageId().startsWith("sha256:"));
  }

  @Test
  void outsideTheWindowIsPermanent() throws Exception {
    stubSend(400, "{\"error\":{\"message\":\"(#10) This message is sent outside of allowed window.\","
        + "\"type\":\"OAuthException\",\"code\":10,\"error_subcode\":2018278,\"fbtrace_id\":\"B1\"}}");
    startMessenger();

    PermanentDeliveryException p = assertInstanceOf(PermanentDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("messenger:" + PSID, "g-3"))));
    assertEquals(Reason.WINDOW_CLOSED, p.reason());
    assertTrue(p.getMessage().contains("2018278"));
    assertFalse(p.getMessage().contains(PSID));
    assertEquals(HealthState.CONNECTED, adapter.health().state());
  }

  @Test
  void userUnavailableIsPermanentRecipientUnknown() throws Exception {
    stubSend(400, "{\"error\":{\"message\":\"(#551) This person isn't available right now.\","
        + "\"type\":\"OAuthException\",\"code\":551,\"error_subcode\":1545041,\"fbtrace_id\":\"B2\"}}");
    startMessenger();

    assertEquals(Reason.RECIPIENT_UNKNOWN, assertInstanceOf(PermanentDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("messenger:" + PSID, "g-4")))).reason());
  }

  @Test
  void rateLimitAnswerIsTransient() throws Exception {
    graph.stubFor(post(urlEqualTo(MESSAGES)).willReturn(aResponse().withStatus(400).withHeader("Retry-After", "3")
        .withBody("{\"error\":{\"message\":\"(#613) Calls to this api have exceeded the rate limit.\",\"code\":613}}")));
    startMessenger();

    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("messenger:" + PSID, "g-5"))));
    assertEquals(Duration.ofSeconds(3), t.retryAfter().orElseThrow());
  }

  @Test
  void serverErrorIsTransient() throws Exception {
    graph.stubFor(post(urlEqualTo(MESSAGES)).willReturn(aResponse().withStatus(503).withBody("unavailable")));
    startMessenger();
    assertInstanceOf(TransientDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("messenger:" + PSID, "g-6"))));
  }

  @Test
  void badTokenIsAuthAndHealthBecomesAuthFailed() throws Exception {
    stubSend(400, "{\"error\":{\"message\":\"Invalid OAuth access token.\",\"type\":\"OAuthException\","
        + "\"code\":190,\"fbtrace_id\":\"B3\"}}");
    startMessenger();

    PermanentDeliveryException p = assertInstanceOf(PermanentDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("messenger:" + PSID, "g-7"))));
    assertEquals(Reason.AUTH, p.reason());
    awaitHealth(HealthState.AUTH_FAILED);
    assertEquals(HealthState.AUTH_FAILED, healths.seen.get(healths.seen.size() - 1).state());
  }

  @Test
  void perRecipientLimitFailsFastWithoutHoldingUpOthers() throws Exception {
    stubSend(200, fixtureText("messenger-send-success.json"));
    startMessenger();

    for (int i = 0; i < 10; i++) {
      await(adapter.deliver(text("~abcd1234", "m" + i), target("messenger:" + PSID, "g-b" + i)));
    }
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "m10"), target("messenger:" + PSID, "g-b10"))));
    assertEquals(Duration.ofSeconds(1), t.retryAfter().orElseThrow());
    await(adapter.deliver(text("~abcd1234", "other"), target("messenger:6543210987650000", "g-c")));
    graph.verify(11, postRequestedFor(urlEqualTo(MESSAGES)));
  }

  @Test
  void requestTimeoutIsTransient() throws Exception {
    graph.stubFor(post(urlEqualTo(MESSAGES)).willReturn(aResponse().withStatus(200).withFixedDelay(2_000)
        .withBody(fixtureText("messenger-send-success.json"))));
    start(Platform.MESSENGER, "messenger", 300, Duration.ofMillis(300));
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("messenger:" + PSID, "g-8"))));
    assertTrue(t.getMessage().contains("timed out"), t.getMessage());
  }

  @Test
  void inboundThroughTheRouteHandlerWithStableIdsAcrossRedelivery() throws Exception {
    startMessenger();
    HttpRoute postRoute = route("POST");
    byte[] body = fixture("messenger-webhook-reply.json");

    HttpResponse first = postRoute.handler().handle(MetaTestSupport.signedPost("/webhooks/messenger", body))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    HttpResponse again = postRoute.handler().handle(MetaTestSupport.signedPost("/webhooks/messenger", body))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertEquals(200, first.status());
    assertEquals(200, again.status());
    assertEquals(2, sink.received.size(), "the core dedupes, the adapter hands over both");
    assertEquals(sink.received.get(0), sink.received.get(1));
    Envelope e = sink.received.get(0);
    assertEquals(Address.of("messenger:" + PSID), e.from());
    assertEquals(Address.of("messenger:" + PAGE_ID), e.to());
    assertTrue(e.replyTo() != null);
  }

  @Test
  void instagramInboundThroughTheRouteHandler() throws Exception {
    start(Platform.INSTAGRAM, "instagram", 300, Duration.ofSeconds(5));
    byte[] body = fixture("instagram-webhook-text.json");
    HttpResponse r = route("POST").handler().handle(MetaTestSupport.signedPost("/webhooks/instagram", body))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    HttpResponse again = route("POST").handler().handle(MetaTestSupport.signedPost("/webhooks/instagram", body))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(200, r.status());
    assertEquals(200, again.status());
    assertEquals(2, sink.received.size());
    assertEquals(sink.received.get(0).id(), sink.received.get(1).id());
    assertEquals(Address.of("instagram:" + IGSID), sink.received.get(0).from());
    assertEquals(Address.of("instagram:" + PAGE_ID), sink.received.get(0).to());

    HttpResponse bad = route("POST").handler()
        .handle(MetaTestSupport.post("/webhooks/instagram", body, Map.of("x-hub-signature-256", List.of("sha256=ab"))))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(401, bad.status());
    assertEquals(2, sink.received.size());

    HttpResponse ok = route("GET").handler().handle(MetaTestSupport.get("/webhooks/instagram", Map.of(
        "hub.mode", List.of("subscribe"), "hub.verify_token", List.of(VERIFY_TOKEN), "hub.challenge", List.of("99"))))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals("99", new String(ok.body(), StandardCharsets.UTF_8));
  }

  @Test
  void lifecycleIsIdempotentAndStopReleasesThreads() throws Exception {
    MessengerConfig c = TestSupport.config(Platform.MESSENGER, URI.create(graph.baseUrl()), 300);
    Adapter a = new MessengerAdapterProvider().create(c, new AdapterContext(NetworkId.of("fb-life"), clock, sink, healths));
    DeliveryTarget to = target("fb-life:" + PSID, "g-9");
    assertInstanceOf(AdapterUnavailableException.class, failure(a.deliver(text("~abcd1234", "hi"), to)));
    a.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
    a.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
    stubSend(200, fixtureText("messenger-send-success.json"));
    await(a.deliver(text("~abcd1234", "hi"), to));
    assertTrue(threadsNamed("messenger-fb-life-") > 0);
    a.stop(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    a.stop(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (threadsNamed("messenger-fb-life-") > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, threadsNamed("messenger-fb-life-"));
    assertEquals(HealthState.STOPPED, a.health().state());
    assertInstanceOf(AdapterUnavailableException.class, failure(a.deliver(text("~abcd1234", "hi"), to)));
  }

  private HttpRoute route(String method) {
    return adapter.routes().stream().filter(r -> r.method().equals(method)).findFirst().orElseThrow();
  }

  private void awaitHealth(HealthState state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (adapter.health().state() != state && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(state, adapter.health().state());
  }

  private static long threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
  }
}
