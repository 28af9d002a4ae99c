package io.parlor.adapter.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A batch is answered 200 only when every message was handled for good. */
class WebhookBatchHandoverTest {
  private static Envelope message(String id) {
    return new Envelope(MessageId.of(id), Address.of("wa:+447700900001"), Address.of("wa:+15559999"),
        Instant.parse("2026-12-04T10:00:00Z"), new Content.Text("hi"), null, null, null);
  }

  @Test
  void aRateLimitedMessageMakesThePlatformRetryTheBatchInsteadOfLosingIt() {
    WebhookBatchHandover h = new WebhookBatchHandover(
        e -> CompletableFuture.completedFuture(e.id().value().equals("m2")
            ? new IngressResult.Refused(IngressResult.Refused.RATE_LIMITED, "slow down", Duration.ofSeconds(7))
            : new IngressResult.Accepted("g-" + e.id().value())),
        "wa", LoggerFactory.getLogger(WebhookBatchHandoverTest.class));
    HttpResponse r = h.handOver(List.of(message("m1"), message("m2"))).toCompletableFuture().join();
    assertEquals(429, r.status());
    assertEquals("7", r.headers().get("retry-after"));
    // any other refusal is handled for good
    WebhookBatchHandover refusing = new WebhookBatchHandover(
        e -> CompletableFuture.completedFuture(IngressResult.Refused.of(IngressResult.Refused.RECIPIENT_UNREACHABLE, "no")),
        "wa", LoggerFactory.getLogger(WebhookBatchHandoverTest.class));
    assertEquals(200, refusing.handOver(List.of(message("m3"))).toCompletableFuture().join().status());
  }
}
