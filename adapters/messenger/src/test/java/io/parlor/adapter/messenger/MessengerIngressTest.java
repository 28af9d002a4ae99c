package io.parlor.adapter.messenger;

import static io.parlor.adapter.messenger.TestSupport.PAGE_ID;
import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.VERIFY_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static io.parlor.adapter.meta.MetaTestSupport.get;
import static io.parlor.adapter.meta.MetaTestSupport.post;
import static io.parlor.adapter.meta.MetaTestSupport.signedPost;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.InboundSink;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class MessengerIngressTest {
  private static final String PATH = "/webhooks/messenger";
  private final MetaTestSupport.FakeSink sink = new MetaTestSupport.FakeSink();
  private final MessengerIngress ingress =
      new MessengerIngress(
          new HubSignature(APP_SECRET), VERIFY_TOKEN,
          new MessengerNormalizer(NetworkId.of("messenger"), Platform.MESSENGER, PAGE_ID), sink, "messenger");

  private static HttpResponse now(CompletionStage<HttpResponse> s) {
    CompletableFuture<HttpResponse> f = s.toCompletableFuture();
    assertTrue(f.isDone(), "answer should be ready");
    return f.join();
  }

  private static Map<String, List<String>> hub(String mode, String token, String challenge) {
    return Map.of("hub.mode", List.of(mode), "hub.verify_token", List.of(token), "hub.challenge", List.of(challenge));
  }

  @Test
  void handshake() {
    HttpResponse ok = now(ingress.verify(get(PATH, hub("subscribe", VERIFY_TOKEN, "1158201444"))));
    assertEquals(200, ok.status());
    assertEquals("1158201444", new String(ok.body(), StandardCharsets.UTF_8));
    HttpResponse wrong = now(ingress.verify(get(PATH, hub("subscribe", "wrong", "1158201444"))));
    assertEquals(403, wrong.status());
    // refused like every other error: JSON naming what was wrong
    assertEquals("{\"error\":{\"code\":\"forbidden\",\"message\":\"hub.mode or hub.verify_token wrong\"}}",
        new String(wrong.body(), StandardCharsets.UTF_8));
    assertEquals("application/json", wrong.headers().get("content-type"));
    assertEquals(403, now(ingress.verify(get(PATH, hub("unsubscribe", VERIFY_TOKEN, "1")))).status());
    assertEquals(403, now(ingress.verify(get(PATH, Map.of()))).status());
  }

  @Test
  void missingOrWrongSignatureIs401AndNothingReachesTheCore() {
    byte[] body = fixture("messenger-webhook-text.json");
    assertEquals(401, now(ingress.receive(post(PATH, body, Map.of()))).status());
    String wrong = new HubSignature("other-secret").sign(body);
    assertEquals(401, now(ingress.receive(post(PATH, body, Map.of(HubSignature.HEADER, List.of(wrong))))).status());
    assertTrue(sink.received.isEmpty());
  }

  @Test
  void signedBatchIsHandedOverAndAnswered200() {
    HttpResponse r = now(ingress.receive(signedPost(PATH, fixture("messenger-webhook-batched.json"))));
    assertEquals(200, r.status());
    assertEquals(4, sink.received.size(), "three texts and a file");
  }

  @Test
  void anUnpairedSurrogateInOneMessageDoesNotCostTheBatch() {
    // refused whole, the batch would be retried by Meta and finally dropped with all its messages
    byte[] batch = new String(fixture("messenger-webhook-batched.json"), java.nio.charset.StandardCharsets.UTF_8)
        .replace("\"text\": \"first\"", "\"text\": \"fir\\uD800st\"").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    HttpResponse r = now(ingress.receive(signedPost(PATH, batch)));
    assertEquals(200, r.status());
    assertEquals(4, sink.received.size(), "every message of the batch");
    assertTrue(sink.received.stream().anyMatch(e -> e.content().toString().contains("fir\uFFFDst")),
        "the bad string repaired, not stored as '?'");
  }

  @Test
  void escapedUnicodeBodyIsVerifiedOverRawBytes() {
    assertEquals(200, now(ingress.receive(signedPost(PATH, fixture("messenger-webhook-text-escaped-unicode.json"))))
        .status());
    assertEquals(1, sink.received.size());
  }

  @Test
  void answerWaitsForEveryStageAndRefusedCountsAsHandled() {
    CompletableFuture<IngressResult> pending = new CompletableFuture<>();
    AtomicInteger n = new AtomicInteger();
    sink.answer(e -> n.getAndIncrement() == 1 ? pending
        : CompletableFuture.completedFuture(IngressResult.Refused.of(IngressResult.Refused.EXPIRED, "expired")));
    CompletableFuture<HttpResponse> answer =
        ingress.receive(signedPost(PATH, fixture("messenger-webhook-batched.json"))).toCompletableFuture();
    assertFalse(answer.isDone());
    pending.complete(new IngressResult.Duplicate());
    assertEquals(200, answer.join().status());
  }

  @Test
  void storeUnavailableAnswers503() {
    sink.answer(e -> CompletableFuture.failedFuture(new InboundSink.StoreUnavailableException("down", null)));
    HttpResponse r = now(ingress.receive(signedPost(PATH, fixture("messenger-webhook-text.json"))));
    assertEquals(503, r.status());
  }

  @Test
  void echoesStatusesAndOtherEventsAnswer200WithoutHandingOver() {
    for (String f : List.of("messenger-webhook-echo.json", "messenger-webhook-delivery.json",
        "messenger-webhook-read.json", "messenger-webhook-postback.json")) {
      assertEquals(200, now(ingress.receive(signedPost(PATH, fixture(f)))).status(), f);
    }
    assertTrue(sink.received.isEmpty());
  }

  @Test
  void malformedJsonIs400() {
    assertEquals(400, now(ingress.receive(signedPost(PATH, "{".getBytes(StandardCharsets.UTF_8)))).status());
  }

  @Test
  void logsCarryNoContentNoScopedIdsNoMids() {
    Logger logger = (Logger) LoggerFactory.getLogger(MessengerIngress.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    Level before = logger.getLevel();
    logger.setLevel(Level.DEBUG);
    try {
      now(ingress.receive(signedPost(PATH, fixture("messenger-webhook-batched.json"))));
      now(ingress.receive(post(PATH, fixture("messenger-webhook-batched.json"), Map.of())));
    } finally {
      logger.detachAppender(appender);
      logger.setLevel(before);
    }
    assertFalse(appender.list.isEmpty());
    for (ILoggingEvent e : appender.list) {
      String line = e.getFormattedMessage();
      for (String s : List.of("6543210987654321", "6543210987650000", "first", "second", "m_batch", "m_out")) {
        assertFalse(line.contains(s), "log line leaks " + s + ": " + line);
      }
    }
  }
}
