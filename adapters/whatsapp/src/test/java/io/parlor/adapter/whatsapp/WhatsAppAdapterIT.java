package io.parlor.adapter.whatsapp;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
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

/** The adapter against WireMock playing the Graph API, and its webhook routes with a fake core. */
class WhatsAppAdapterIT {
  private static final String NUMBER_ID = "1122334455667";
  private static final String MESSAGES = "/v21.0/" + NUMBER_ID + "/messages";
  private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

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

  private Adapter start(int ratePerSecond, Duration timeout) throws Exception {
    WhatsAppConfig c = new WhatsAppConfig(NUMBER_ID, TestSupport.graph(URI.create(graph.baseUrl()), ratePerSecond, timeout));
    adapter = new WhatsAppAdapterProvider()
        .create(c, new AdapterContext(NetworkId.of("whatsapp"), clock, sink, healths));
    adapter.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
    return adapter;
  }

  private Adapter start() throws Exception {
    return start(80, Duration.ofSeconds(5));
  }

  private static Envelope text(String from, String text) {
    return Envelope.of(MessageId.of("g-1"), Address.of(from), Address.of("whatsapp:+447700900123"), T0,
        new Content.Text(text));
  }

  private static DeliveryTarget target(String digits, String key) {
    return new DeliveryTarget(Address.of("whatsapp:+" + digits), key);
  }

  private static DeliveryResult await(CompletionStage<DeliveryResult> s) throws Exception {
    return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Throwable failure(CompletionStage<DeliveryResult> s) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> s.toCompletableFuture().get(10, TimeUnit.SECONDS));
    return e.getCause();
  }

  private void stubSend(int status, String body) {
    graph.stubFor(post(urlEqualTo(MESSAGES))
        .willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body)));
  }

  @Test
  void textOut() throws Exception {
    stubSend(200, fixtureText("whatsapp-send-success-bindambc.json"));
    start();

    DeliveryResult r = await(adapter.deliver(text("~abcd1234", "hello \u00e9"), target("447700900123", "g-1")));

    assertEquals("wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww", r.networkMessageId());
    graph.verify(1, postRequestedFor(urlEqualTo(MESSAGES))
        .withHeader("Authorization", equalTo("Bearer " + ACCESS_TOKEN))
        .withHeader("Content-Type", equalTo("application/json"))
        .withRequestBody(equalToJson(
            "{\"messaging_product\":\"whatsapp\",\"to\":\"447700900123\",\"type\":\"text\","
                + "\"text\":{\"body\":\"~abcd1234: hello \u00e9\"}}")));
  }

  @Test
  void replyOutCarriesContext() throws Exception {
    stubSend(200, fixtureText("whatsapp-send-success-bindambc.json"));
    start();

    Envelope reply = text("@alice", "yes").withReplyTo(MessageId.of("wamid.xyzxyz"));
    await(adapter.deliver(reply, target("447700900123", "g-2")));

    graph.verify(postRequestedFor(urlEqualTo(MESSAGES)).withRequestBody(equalToJson(
        "{\"messaging_product\":\"whatsapp\",\"to\":\"447700900123\",\"type\":\"text\","
            + "\"text\":{\"body\":\"@alice: yes\"},\"context\":{\"message_id\":\"wamid.xyzxyz\"}}")));
  }

  @Test
  void undeliverableIsPermanentRecipientUnknown() throws Exception {
    stubSend(400, "{\"error\":{\"message\":\"(#131026) Message Undeliverable.\",\"type\":\"OAuthException\","
        + "\"code\":131026,\"error_data\":{\"messaging_product\":\"whatsapp\",\"details\":\"x\"},"
        + "\"fbtrace_id\":\"A1\"}}");
    start();

    Throwable t = failure(adapter.deliver(text("~abcd1234", "hi"), target("447700900123", "g-3")));
    PermanentDeliveryException p = assertInstanceOf(PermanentDeliveryException.class, t);
    assertEquals(Reason.RECIPIENT_UNKNOWN, p.reason());
    assertTrue(p.getMessage().contains("131026"));
    assertFalse(p.getMessage().contains("447700900123"), "no recipient number in messages");
    assertEquals(HealthState.CONNECTED, adapter.health().state());
  }

  @Test
  void throughputLimitIsTransientWithRetryAfter() throws Exception {
    graph.stubFor(post(urlEqualTo(MESSAGES)).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7")
        .withBody("{\"error\":{\"message\":\"(#130429) Rate limit hit\",\"code\":130429}}")));
    start();

    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("447700900123", "g-4"))));
    assertEquals(Duration.ofSeconds(7), t.retryAfter().orElseThrow());
  }

  @Test
  void serverErrorWithoutGraphBodyIsTransient() throws Exception {
    graph.stubFor(post(urlEqualTo(MESSAGES))
        .willReturn(aResponse().withStatus(502).withHeader("Content-Type", "text/html").withBody("<html>bad gateway")));
    start();

    assertInstanceOf(TransientDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("447700900123", "g-5"))));
  }

  @Test
  void badTokenIsAuthAndHealthBecomesAuthFailedUntilASendSucceeds() throws Exception {
    stubSend(401, "{\"error\":{\"message\":\"Error validating access token\",\"type\":\"OAuthException\","
        + "\"code\":190,\"error_subcode\":463,\"fbtrace_id\":\"A2\"}}");
    start();

    PermanentDeliveryException p = assertInstanceOf(PermanentDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("447700900123", "g-6"))));
    assertEquals(Reason.AUTH, p.reason());
    assertFalse(p.getMessage().contains(ACCESS_TOKEN));
    awaitHealth(HealthState.AUTH_FAILED);
    assertEquals(HealthState.AUTH_FAILED, healths.seen.get(healths.seen.size() - 1).state());

    stubSend(200, fixtureText("whatsapp-send-success-bindambc.json"));
    await(adapter.deliver(text("~abcd1234", "hi"), target("447700900124", "g-7")));
    awaitHealth(HealthState.CONNECTED);
  }

  @Test
  void requestTimeoutIsTransient() throws Exception {
    graph.stubFor(post(urlEqualTo(MESSAGES)).willReturn(aResponse().withStatus(200).withFixedDelay(2_000)
        .withBody(fixtureText("whatsapp-send-success-bindambc.json"))));
    start(80, Duration.ofMillis(300));

    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "hi"), target("447700900123", "g-8"))));
    assertTrue(t.getMessage().contains("timed out"), t.getMessage());
  }

  @Test
  void rateLimitFailsFastWithoutCallingTheGraphApi() throws Exception {
    stubSend(200, fixtureText("whatsapp-send-success-bindambc.json"));
    start(1, Duration.ofSeconds(5));

    await(adapter.deliver(text("~abcd1234", "one"), target("447700900123", "g-9")));
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        failure(adapter.deliver(text("~abcd1234", "two"), target("447700900999", "g-10"))));
    assertEquals(Duration.ofSeconds(1), t.retryAfter().orElseThrow());
    graph.verify(1, postRequestedFor(urlEqualTo(MESSAGES)));

    clock.advance(Duration.ofSeconds(1));
    await(adapter.deliver(text("~abcd1234", "two"), target("447700900999", "g-10")));
    graph.verify(2, postRequestedFor(urlEqualTo(MESSAGES)));
  }

  @Test
  void permanentRefusalsDoNotReachTheGraphApi() throws Exception {
    stubSend(200, fixtureText("whatsapp-send-success-bindambc.json"));
    start();

    Throwable t = failure(adapter.deliver(text("sms:+447700900999", "hi"), target("447700900123", "g-11")));
    assertEquals(Reason.UNSUPPORTED, assertInstanceOf(PermanentDeliveryException.class, t).reason());
    graph.verify(0, postRequestedFor(urlEqualTo(MESSAGES)));
  }

  @Test
  void inboundThroughTheRouteHandlerWithStableIdsAcrossRedelivery() throws Exception {
    start();
    HttpRoute postRoute = route("POST");
    byte[] body = fixture("whatsapp-webhook-reply-context-pywa.json");

    HttpResponse first = postRoute.handler().handle(MetaTestSupport.signedPost("/webhooks/whatsapp", body))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    HttpResponse again = postRoute.handler().handle(MetaTestSupport.signedPost("/webhooks/whatsapp", body))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertEquals(200, first.status());
    assertEquals(200, again.status());
    assertEquals(2, sink.received.size(), "the core dedupes, the adapter hands over both");
    Envelope a = sink.received.get(0);
    Envelope b = sink.received.get(1);
    assertEquals(MessageId.of("wamid.xyzxyz"), a.id());
    assertEquals(a, b);
    assertEquals(Address.of("whatsapp:+972987654321"), a.from());
    assertEquals(Address.of("whatsapp:" + NUMBER_ID), a.to());
    assertEquals(MessageId.of("wamid.xyzxyz=="), a.replyTo());
  }

  @Test
  void inboundBadSignatureAndHandshakeThroughRoutes() throws Exception {
    start();
    byte[] body = fixture("whatsapp-webhook-text-with-bsuid-pywa.json");
    HttpResponse bad = route("POST").handler()
        .handle(MetaTestSupport.post("/webhooks/whatsapp", body, Map.of("x-hub-signature-256", List.of("sha256=00"))))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(401, bad.status());
    assertTrue(sink.received.isEmpty());

    HttpResponse ok = route("GET").handler().handle(MetaTestSupport.get("/webhooks/whatsapp", Map.of(
        "hub.mode", List.of("subscribe"), "hub.verify_token", List.of(VERIFY_TOKEN), "hub.challenge", List.of("42"))))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(200, ok.status());
    assertEquals("42", new String(ok.body(), java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void lifecycleIsIdempotentAndStopReleasesThreads() throws Exception {
    WhatsAppConfig c = TestSupport.config(NUMBER_ID, URI.create(graph.baseUrl()), 80);
    Adapter a = new WhatsAppAdapterProvider().create(c, new AdapterContext(NetworkId.of("wa-life"), clock, sink, healths));
    DeliveryTarget to = new DeliveryTarget(Address.of("wa-life:+447700900123"), "g-12");
    assertInstanceOf(AdapterUnavailableException.class, failure(a.deliver(text("~abcd1234", "hi"), to)));

    a.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
    a.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(HealthState.CONNECTED, a.health().state());
    stubSend(200, fixtureText("whatsapp-send-success-bindambc.json"));
    await(a.deliver(text("~abcd1234", "hi"), to));
    assertTrue(threadsNamed("whatsapp-wa-life-") > 0);

    a.stop(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    a.stop(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(HealthState.STOPPED, a.health().state());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (threadsNamed("whatsapp-wa-life-") > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, threadsNamed("whatsapp-wa-life-"));
    assertInstanceOf(AdapterUnavailableException.class, failure(a.deliver(text("~abcd1234", "hi"), to)));
    assertEquals(List.of(HealthState.CONNECTED, HealthState.STOPPED),
        healths.seen.stream().map(h -> h.state()).toList());
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
