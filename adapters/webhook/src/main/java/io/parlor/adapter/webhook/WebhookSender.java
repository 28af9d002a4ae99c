package io.parlor.adapter.webhook;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.AdapterMetrics;
import io.parlor.spi.DeliveryException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.json.EnvelopeJson;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Envelope → signed {@code POST {deliveryUrl}} with {@code Idempotency-Key} (contract 3.2), and
 * status reports → {@code POST {statusUrl}} (3.3). Thread-safe; never blocks the caller (the
 * adapter's {@link HttpPoster} does the I/O on its own event loop, where the futures complete).
 *
 * <p>With {@code statusBatch} above 1, statuses go several to a POST, as {@code {"statuses":
 * [...]}}: a status is sent at once while fewer than {@link #STATUS_POSTS_IN_FLIGHT} status POSTs
 * are out, and otherwise waits for one of them to end and goes with the others that waited (up to
 * {@code statusBatch}). No status waits for a timer or for others to come: batches form only when
 * the network is slower than statuses arrive, as a commit groups what waited for the one before.
 */
final class WebhookSender {
  /** Most status POSTs out at once when statuses are batched. */
  static final int STATUS_POSTS_IN_FLIGHT = 2;

  private final HttpPoster http;
  private final Signatures signatures;
  private final Clock clock;
  private final AdapterMetrics metrics;
  private final Object statusLock = new Object();
  /** Statuses waiting for a status POST to end (guarded by statusLock). */
  private final ArrayDeque<WaitingStatus> waitingStatuses = new ArrayDeque<>();
  /** Status POSTs out (guarded by statusLock). */
  private int statusPosts;

  private record WaitingStatus(ObjectNode status, CompletableFuture<Void> reported) {}

  WebhookSender(HttpPoster http, Signatures signatures, Clock clock, AdapterMetrics metrics) {
    this.http = http;
    this.signatures = signatures;
    this.clock = clock;
    this.metrics = metrics;
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

  /**
   * Reports {@code status} to {@code url}: alone when {@code batch} is 1, else in a batch of up to
   * {@code batch}. The future completes as the POST that carried it did: every status of a batch
   * is reported, or fails (and is retried by the core, perhaps in another batch), together.
   */
  CompletionStage<Void> status(URI url, ObjectNode status, int batch, String id) {
    if (batch <= 1) {
      metrics.count("status_posts");
      metrics.count("statuses_posted");
      return post(url, status.toString().getBytes(StandardCharsets.UTF_8), null, "status of " + id);
    }
    CompletableFuture<Void> reported = new CompletableFuture<>();
    List<WaitingStatus> now;
    synchronized (statusLock) {
      waitingStatuses.add(new WaitingStatus(status, reported));
      if (statusPosts >= STATUS_POSTS_IN_FLIGHT) {
        return reported;
      }
      statusPosts++;
      now = takeStatuses(batch);
    }
    postStatuses(url, now, batch);
    return reported;
  }

  /** Up to {@code max} waiting statuses, oldest first; the caller holds statusLock. */
  private List<WaitingStatus> takeStatuses(int max) {
    List<WaitingStatus> out = new ArrayList<>(Math.min(max, waitingStatuses.size()));
    while (out.size() < max && !waitingStatuses.isEmpty()) {
      out.add(waitingStatuses.poll());
    }
    return out;
  }

  /**
   * POSTs {@code batch}, then, while statuses wait, the next batch: one of the status POSTs out. A
   * POST that ends at once (the poster closed) is followed here, in a loop, not by a call per batch:
   * thousands of waiting statuses would otherwise recurse once per batch and overflow the stack.
   */
  private void postStatuses(URI url, List<WaitingStatus> batch, int max) {
    for (List<WaitingStatus> current = batch; current != null; ) {
      CompletableFuture<Void> sent = sendStatuses(url, current);
      if (!sent.isDone()) {
        List<WaitingStatus> these = current;
        sent.whenComplete((v, err) -> {
          List<WaitingStatus> next = statusesPosted(these, err, max);
          if (next != null) {
            postStatuses(url, next, max);
          }
        });
        return;
      }
      Throwable err = null;
      try {
        sent.join();
      } catch (java.util.concurrent.CompletionException e) {
        err = e.getCause();
      } catch (java.util.concurrent.CancellationException e) {
        err = e;
      }
      current = statusesPosted(current, err, max);
    }
  }

  private CompletableFuture<Void> sendStatuses(URI url, List<WaitingStatus> batch) {
    ObjectNode body = EnvelopeJson.mapper().createObjectNode();
    ArrayNode statuses = body.putArray("statuses");
    for (WaitingStatus w : batch) {
      statuses.add(w.status());
    }
    metrics.count("status_posts");
    metrics.count("statuses_posted", batch.size());
    try {
      return post(url, body.toString().getBytes(StandardCharsets.UTF_8), null,
          batch.size() == 1 ? "a status" : batch.size() + " statuses").toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Completes {@code batch}'s statuses as its POST ended, and returns the next batch to send, or
   * null (and one status POST fewer is out) when none waits.
   */
  private List<WaitingStatus> statusesPosted(List<WaitingStatus> batch, Throwable err, int max) {
    List<WaitingStatus> next;
    synchronized (statusLock) {
      next = waitingStatuses.isEmpty() ? null : takeStatuses(max);
      if (next == null) {
        statusPosts--;
      }
    }
    for (WaitingStatus w : batch) {
      if (err == null) {
        w.reported().complete(null);
      } else {
        w.reported().completeExceptionally(err);
      }
    }
    return next;
  }
}
