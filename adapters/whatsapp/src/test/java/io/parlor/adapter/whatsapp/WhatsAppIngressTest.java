package io.parlor.adapter.whatsapp;

import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.VERIFY_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static io.parlor.adapter.meta.MetaTestSupport.get;
import static io.parlor.adapter.meta.MetaTestSupport.post;
import static io.parlor.adapter.meta.MetaTestSupport.signedPost;
import static io.parlor.adapter.whatsapp.TestSupport.NETWORK;
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
import io.parlor.spi.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class WhatsAppIngressTest {
  private static final String PATH = "/webhooks/whatsapp";
  private final MetaTestSupport.FakeSink sink = new MetaTestSupport.FakeSink();
  private final WhatsAppIngress ingress =
      new WhatsAppIngress(
          new HubSignature(APP_SECRET), VERIFY_TOKEN, new WhatsAppNormalizer(NETWORK, "1122334455667"), sink,
          "whatsapp");

  private static HttpResponse now(CompletionStage<HttpResponse> s) {
    CompletableFuture<HttpResponse> f = s.toCompletableFuture();
    assertTrue(f.isDone(), "answer should be ready");
    return f.join();
  }

  private static String body(HttpResponse r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  private static Map<String, List<String>> hub(String mode, String token, String challenge) {
    return Map.of("hub.mode", List.of(mode), "hub.verify_token", List.of(token), "hub.challenge", List.of(challenge));
  }

  @Test
  void handshakeEchoesChallengeWhenTokenMatches() {
    HttpResponse r = now(ingress.verify(get(PATH, hub("subscribe", VERIFY_TOKEN, "1158201444"))));
    assertEquals(200, r.status());
    assertEquals("1158201444", body(r));
    assertTrue(r.headers().get("content-type").startsWith("text/plain"));
  }

  @Test
  void handshakeRefusesWrongTokenModeOrChallenge() {
    assertEquals(403, now(ingress.verify(get(PATH, hub("subscribe", "wrong", "1158201444")))).status());
    assertEquals(403, now(ingress.verify(get(PATH, hub("subscribe", VERIFY_TOKEN + "x", "1")))).status());
    assertEquals(403, now(ingress.verify(get(PATH, hub("unsubscribe", VERIFY_TOKEN, "1")))).status());
    assertEquals(403, now(ingress.verify(get(PATH, hub("subscribe", VERIFY_TOKEN, "")))).status());
    assertEquals(403, now(ingress.verify(get(PATH, hub("subscribe", VERIFY_TOKEN, "<script>x</script> ")))).status());
    assertEquals(403, now(ingress.verify(get(PATH, Map.of()))).status());
    HttpResponse r = now(ingress.verify(get(PATH, hub("subscribe", "wrong", "1158201444"))));
    assertFalse(body(r).contains("1158201444"));
  }

  @Test
  void missingSignatureIs401AndNothingReachesTheCore() {
    byte[] body = fixture("whatsapp-webhook-text-with-bsuid-pywa.json");
    HttpResponse r = now(ingress.receive(post(PATH, body, Map.of())));
    assertEquals(401, r.status());
    assertTrue(body(r).contains("bad_signature"));
    assertEquals("application/json", r.headers().get("content-type"));
    assertTrue(sink.received.isEmpty());
  }

  @Test
  void wrongSignatureIs401AndNothingReachesTheCore() {
    byte[] body = fixture("whatsapp-webhook-text-with-bsuid-pywa.json");
    String sig = new HubSignature("not-the-app-secret").sign(body);
    HttpResponse r = now(ingress.receive(post(PATH, body, Map.of(HubSignature.HEADER, List.of(sig)))));
    assertEquals(401, r.status());
    assertTrue(sink.received.isEmpty());
  }

  @Test
  void signedTextIsHandedOverAndAnswered200() {
    HttpResponse r = now(ingress.receive(signedPost(PATH, fixture("whatsapp-webhook-text-with-bsuid-pywa.json"))));
    assertEquals(200, r.status());
    assertEquals(1, sink.received.size());
    assertEquals("wamid.xyzxyz", sink.received.get(0).id().value());
  }

  @Test
  void escapedUnicodeBodyIsVerifiedOverRawBytes() {
    HttpResponse r = now(ingress.receive(signedPost(PATH, fixture("whatsapp-webhook-text-escaped-unicode.json"))));
    assertEquals(200, r.status());
    assertEquals(1, sink.received.size());
  }

  @Test
  void batchedWebhookHandsOverEveryMessage() {
    HttpResponse r = now(ingress.receive(signedPost(PATH, fixture("whatsapp-webhook-batched.json"))));
    assertEquals(200, r.status());
    assertEquals(4, sink.received.size(), "three texts and an image");
  }

  @Test
  void onlyStatusesOrUnsupportedAnswers200WithoutHandingOver() {
    byte[] statuses = fixture("whatsapp-webhook-status-sent-biz-opaque-pywa.json");
    assertEquals(200, now(ingress.receive(signedPost(PATH, statuses))).status());
    byte[] unsupported = fixture("whatsapp-webhook-unsupported-with-type-pywa.json");
    assertEquals(200, now(ingress.receive(signedPost(PATH, unsupported))).status());
    assertTrue(sink.received.isEmpty());
  }

  @Test
  void answerWaitsForEveryStage() {
    CompletableFuture<IngressResult> first = new CompletableFuture<>();
    CompletableFuture<IngressResult> rest = new CompletableFuture<>();
    AtomicInteger n = new AtomicInteger();
    sink.answer(e -> n.getAndIncrement() == 0 ? first : rest);

    CompletableFuture<HttpResponse> answer =
        ingress.receive(signedPost(PATH, fixture("whatsapp-webhook-batched.json"))).toCompletableFuture();
    assertFalse(answer.isDone());
    first.complete(new IngressResult.Accepted("g1"));
    assertFalse(answer.isDone(), "two stages still pending");
    rest.complete(new IngressResult.Duplicate());
    assertEquals(200, answer.join().status());
  }

  @Test
  void refusedCountsAsHandled() {
    sink.answer(e -> CompletableFuture.completedFuture(
        IngressResult.Refused.of(IngressResult.Refused.RECIPIENT_UNREACHABLE, "not reachable")));
    assertEquals(200, now(ingress.receive(signedPost(PATH, fixture("whatsapp-webhook-batched.json")))).status());
  }

  @Test
  void anyFailedStageAnswers503AfterAllCompleted() {
    CompletableFuture<IngressResult> pending = new CompletableFuture<>();
    AtomicInteger n = new AtomicInteger();
    sink.answer(e -> {
      int i = n.getAndIncrement();
      if (i == 0) {
        return CompletableFuture.failedFuture(new InboundSink.StoreUnavailableException("disk full", null));
      }
      return i == 1 ? pending : CompletableFuture.completedFuture(new IngressResult.Accepted("g"));
    });

    CompletableFuture<HttpResponse> answer =
        ingress.receive(signedPost(PATH, fixture("whatsapp-webhook-batched.json"))).toCompletableFuture();
    assertFalse(answer.isDone(), "waits for the pending stage too");
    pending.complete(new IngressResult.Accepted("g2"));
    HttpResponse r = answer.join();
    assertEquals(503, r.status());
    assertTrue(body(r).contains("unavailable"));
  }

  @Test
  void sinkThrowingSynchronouslyAnswers503() {
    sink.answer(e -> {
      throw new IllegalStateException("boom");
    });
    assertEquals(503, now(ingress.receive(signedPost(PATH, fixture("whatsapp-webhook-text-with-bsuid-pywa.json"))))
        .status());
  }

  @Test
  void malformedJsonIs400() {
    byte[] body = "{\"object\": ".getBytes(StandardCharsets.UTF_8);
    assertEquals(400, now(ingress.receive(signedPost(PATH, body))).status());
    assertEquals(400, now(ingress.receive(signedPost(PATH, "[1]".getBytes(StandardCharsets.UTF_8)))).status());
    assertTrue(sink.received.isEmpty());
  }

  @Test
  void logsCarryNoContentNoNumbersNoIds() {
    Logger logger = (Logger) LoggerFactory.getLogger(WhatsAppIngress.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    Level before = logger.getLevel();
    logger.setLevel(Level.DEBUG);
    try {
      now(ingress.receive(signedPost(PATH, fixture("whatsapp-webhook-batched.json"))));
      now(ingress.receive(post(PATH, fixture("whatsapp-webhook-batched.json"), Map.of())));
      now(ingress.verify(get(PATH, hub("subscribe", "wrong-token", "77"))));
    } finally {
      logger.detachAppender(appender);
      logger.setLevel(before);
    }
    assertFalse(appender.list.isEmpty());
    for (ILoggingEvent e : appender.list) {
      String line = e.getFormattedMessage();
      for (String secret : List.of("972987654321", "447700900123", "first", "second", "wamid", "wrong-token",
          MetaTestSupport.APP_SECRET)) {
        assertFalse(line.contains(secret), "log line leaks " + secret + ": " + line);
      }
    }
  }
}
