package io.parlor.adapter.webhook;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.EventResult;
import io.parlor.spi.EventSink;
import io.parlor.spi.InboundSink;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.json.EventJson;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.EnvelopeException;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Handles {@code POST /v1/networks/{id}/messages}: verifies the signature over the raw body,
 * parses the envelope, hands it to the core and answers as contract section 3.1 says. Runs on an
 * event loop and never blocks; the answer is sent once the sink's stage completes (durable).
 */
final class WebhookIngress {
  private final Signatures signatures;
  private final InboundSink sink;
  private final EventSink events;
  private final Clock clock;

  WebhookIngress(Signatures signatures, InboundSink sink, EventSink events, Clock clock) {
    this.signatures = signatures;
    this.sink = sink;
    this.events = events;
    this.clock = clock;
  }

  /**
   * {@code POST /v1/networks/{id}/events} (contract part 2, section 4): read receipts and typing,
   * signed like messages. 202 {@code {"status": "accepted"}} (a read receipt that named ids Parlor
   * does not know lists them as {@code "unknown"}); 400, 401 as for messages; 422 {@code
   * unknown_reference} when no id is known, {@code recipient_unreachable} for typing outside a
   * conversation; 503 when a read receipt could not be recorded.
   */
  CompletionStage<HttpResponse> handleEvent(HttpRequest request) {
    byte[] body = request.body();
    if (!signatures.verify(request.header(Signatures.HEADER).orElse(null), body, clock.instant())) {
      return done(error(401, "bad_signature", "Parlor-Signature header missing, wrong or stale"));
    }
    Event event;
    try {
      event = EventJson.read(body, clock.instant());
    } catch (EnvelopeException e) {
      return done(error(400, "invalid_event", e.getMessage()));
    }
    CompletionStage<EventResult> result;
    try {
      result = events.accept(event);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.handle((r, err) -> err == null ? eventAnswer(r) : storeFailure(err));
  }

  private static HttpResponse eventAnswer(EventResult r) {
    if (!r.isAccepted()) {
      int status = r.code().equals(EventResult.INVALID) ? 400 : r.code().equals(EventResult.UNSUPPORTED) ? 404 : 422;
      return error(status, r.code(), r.message());
    }
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.put("status", "accepted");
    if (!r.unknownIds().isEmpty()) {
      r.unknownIds().forEach(n.putArray("unknown")::add);
    }
    return HttpResponse.json(202, n.toString());
  }

  CompletionStage<HttpResponse> handle(HttpRequest request) {
    byte[] body = request.body();
    if (!signatures.verify(request.header(Signatures.HEADER).orElse(null), body, clock.instant())) {
      return done(error(401, "bad_signature", "Parlor-Signature header missing, wrong or stale"));
    }
    Envelope envelope;
    try {
      envelope = EnvelopeJson.read(body);
    } catch (EnvelopeException e) {
      return done(error(400, "invalid_envelope", e.getMessage()));
    }
    String id = envelope.id().value();
    CompletionStage<IngressResult> result;
    try {
      result = sink.accept(envelope);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.handle((r, err) -> err == null ? answer(id, r) : storeFailure(err));
  }

  private static HttpResponse answer(String id, IngressResult r) {
    if (r instanceof IngressResult.Accepted) {
      return status(202, id, "accepted");
    }
    if (r instanceof IngressResult.Duplicate) {
      return status(200, id, "duplicate");
    }
    IngressResult.Refused refused = (IngressResult.Refused) r;
    switch (refused.code()) {
      case IngressResult.Refused.RATE_LIMITED:
        long secs = refused.retryAfter() == null ? 1 : Math.max(1, (refused.retryAfter().toMillis() + 999) / 1000);
        return withHeader(error(429, refused.code(), refused.message()), "retry-after", Long.toString(secs));
      case IngressResult.Refused.INVALID_ENVELOPE:
        return error(400, refused.code(), refused.message());
      case IngressResult.Refused.NOT_SENDER:
      case IngressResult.Refused.NOT_A_MEMBER:
      case IngressResult.Refused.HELD_FOR_REVIEW:
        return error(403, refused.code(), refused.message());
      default:
        if (refused.members() != null) {
          ObjectNode n = EnvelopeJson.mapper().createObjectNode();
          ObjectNode e = n.putObject("error");
          e.put("code", refused.code());
          e.put("message", refused.message());
          e.put("members", refused.members());
          return HttpResponse.json(422, n.toString());
        }
        return error(422, refused.code(), refused.message());
    }
  }

  private static HttpResponse storeFailure(Throwable err) {
    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    String msg =
        cause instanceof InboundSink.StoreUnavailableException
            ? "message could not be stored; retry later"
            : "temporarily unavailable; retry later";
    return withHeader(error(503, "unavailable", msg), "retry-after", "1");
  }

  static HttpResponse status(int code, String id, String status) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.put("id", id);
    n.put("status", status);
    return HttpResponse.json(code, n.toString());
  }

  static HttpResponse error(int code, String errorCode, String message) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    ObjectNode e = n.putObject("error");
    e.put("code", errorCode);
    e.put("message", message);
    return HttpResponse.json(code, n.toString());
  }

  private static HttpResponse withHeader(HttpResponse r, String name, String value) {
    java.util.Map<String, String> h = new java.util.HashMap<>(r.headers());
    h.put(name, value);
    return new HttpResponse(r.status(), Map.copyOf(h), r.body());
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }
}
