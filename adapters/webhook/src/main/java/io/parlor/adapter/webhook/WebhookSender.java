package io.parlor.adapter.webhook;

import io.parlor.spi.DeliveryException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.json.EnvelopeJson;
import java.net.URI;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Envelope → signed {@code POST {deliveryUrl}} with {@code Idempotency-Key} (contract 3.2), and
 * status reports → {@code POST {statusUrl}} (3.3). Thread-safe; never blocks the caller (the
 * adapter's {@link HttpPoster} does the I/O on its own event loop, where the futures complete).
 */
final class WebhookSender {
  private final HttpPoster http;
  private final Signatures signatures;
  private final Clock clock;

  WebhookSender(HttpPoster http, Signatures signatures, Clock clock) {
    this.http = http;
    this.signatures = signatures;
    this.clock = clock;
  }

  CompletionStage<DeliveryResult> deliver(URI url, Envelope envelope, DeliveryTarget target) {
    byte[] body = EnvelopeJson.write(envelope.withTo(target.recipient()));
    return post(url, body, target.idempotencyKey(), "delivery of " + target.idempotencyKey())
        .thenApply(v -> DeliveryResult.accepted());
  }

  CompletionStage<Void> post(URI url, byte[] body, String idempotencyKey, String what) {
    String signature = signatures.sign(body, clock.instant());
    CompletableFuture<HttpPoster.Answer> answer =
        idempotencyKey == null
            ? http.post(url, body, "content-type", "application/json", Signatures.HEADER, signature)
            : http.post(url, body, "content-type", "application/json", Signatures.HEADER, signature,
                "Idempotency-Key", idempotencyKey);
    CompletableFuture<Void> out = new CompletableFuture<>();
    answer.whenComplete(
        (resp, err) -> {
          if (err != null) {
            out.completeExceptionally(WebhookErrorMapper.fromThrowable(err, what));
            return;
          }
          Optional<DeliveryException> failure =
              WebhookErrorMapper.fromStatus(resp.status(), resp.retryAfter(), what, clock);
          if (failure.isPresent()) {
            out.completeExceptionally(failure.get());
          } else {
            out.complete(null);
          }
        });
    return out;
  }
}
