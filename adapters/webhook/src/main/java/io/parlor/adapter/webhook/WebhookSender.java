package io.parlor.adapter.webhook;

import io.parlor.spi.DeliveryException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.json.EnvelopeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Envelope → signed {@code POST {deliveryUrl}} with {@code Idempotency-Key} (contract 3.2), and
 * status reports → {@code POST {statusUrl}} (3.3). Thread-safe; never blocks the caller (the JDK
 * client's asynchronous API runs on the adapter's executor).
 */
final class WebhookSender {
  private final HttpClient client;
  private final Signatures signatures;
  private final Clock clock;
  private final Duration timeout;

  WebhookSender(HttpClient client, Signatures signatures, Clock clock, Duration timeout) {
    this.client = client;
    this.signatures = signatures;
    this.clock = clock;
    this.timeout = timeout;
  }

  CompletionStage<DeliveryResult> deliver(URI url, Envelope envelope, DeliveryTarget target) {
    byte[] body = EnvelopeJson.write(envelope.withTo(target.recipient()));
    return post(url, body, target.idempotencyKey(), "delivery of " + target.idempotencyKey())
        .thenApply(v -> DeliveryResult.accepted());
  }

  CompletionStage<Void> post(URI url, byte[] body, String idempotencyKey, String what) {
    HttpRequest.Builder req =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .header("content-type", "application/json")
            .header(Signatures.HEADER, signatures.sign(body, clock.instant()))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (idempotencyKey != null) {
      req.header("Idempotency-Key", idempotencyKey);
    }
    CompletableFuture<Void> out = new CompletableFuture<>();
    client
        .sendAsync(req.build(), HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (resp, err) -> {
              if (err != null) {
                out.completeExceptionally(WebhookErrorMapper.fromThrowable(err, what));
                return;
              }
              Optional<DeliveryException> failure =
                  WebhookErrorMapper.fromStatus(
                      resp.statusCode(), resp.headers().firstValue("retry-after").orElse(null), what, clock);
              if (failure.isPresent()) {
                out.completeExceptionally(failure.get());
              } else {
                out.complete(null);
              }
            });
    return out;
  }
}
