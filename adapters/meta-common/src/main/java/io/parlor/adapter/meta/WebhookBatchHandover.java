package io.parlor.adapter.meta;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.EventResult;
import io.parlor.spi.EventSink;
import io.parlor.spi.InboundSink;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;

/**
 * Hands the messages of one webhook batch to the core's {@link InboundSink} and answers the
 * platform: 200 only once every stage completed normally (accepted, duplicate or refused: all
 * handled for good); if any failed (store unavailable) → 503 with {@code retry-after: 1}, and the
 * platform redelivers the whole batch (the core dedupes by message id). A message refused as
 * {@code rate_limited} is not handled for good either: the batch gets 429 with the longest {@code
 * retry-after} asked for, and the platform redelivers it (a limit never loses a message).
 *
 * <p>Never blocks: the answer completes when the sink's stages do. Logs go to the adapter's
 * logger (given to the constructor) and carry counts and exception class names only, never
 * message text or identifiers. Thread-safe (no mutable state).
 */
public final class WebhookBatchHandover {
  private final InboundSink sink;
  private final EventSink events;
  private final String network;
  private final Logger log;

  public WebhookBatchHandover(InboundSink sink, String network, Logger log) {
    this(sink, EventSink.refusing(), network, log);
  }

  /** With {@code events}, where the batch's read receipts go. */
  public WebhookBatchHandover(InboundSink sink, EventSink events, String network, Logger log) {
    this.sink = sink;
    this.events = events;
    this.network = network;
    this.log = log;
  }

  /** Hands {@code messages} over; the answer completes once every stage has. */
  public CompletionStage<HttpResponse> handOver(List<Envelope> messages) {
    return handOver(messages, List.of());
  }

  /**
   * Hands {@code messages} and {@code batchEvents} (read receipts) over; the answer completes
   * once every stage has. An event the core refuses (an id it does not know) is handled for good;
   * one it could not record fails the batch like a message (503, the platform redelivers).
   */
  public CompletionStage<HttpResponse> handOver(List<Envelope> messages, List<? extends Event> batchEvents) {
    List<CompletableFuture<?>> eventStages = new ArrayList<>(batchEvents.size());
    for (Event ev : batchEvents) {
      CompletableFuture<EventResult> f = new CompletableFuture<>();
      try {
        events.accept(ev).whenComplete((r, err) -> {
          if (err != null) {
            f.completeExceptionally(err);
          } else {
            f.complete(r);
          }
        });
      } catch (RuntimeException err) {
        f.completeExceptionally(err);
      }
      eventStages.add(f);
    }
    CompletableFuture<Void> allEvents = CompletableFuture.allOf(eventStages.toArray(new CompletableFuture<?>[0]));
    return handOverMessages(messages).thenCombine(
        allEvents.handle((v, err) -> err), (answer, eventError) -> {
          if (eventError != null && answer.status() == 200) {
            log.warn("{}: webhook read receipts not recorded ({}); answering 503 so the platform retries",
                network, rootCause(eventError).getClass().getSimpleName());
            return error(503, "unavailable", "events could not be recorded; retry later");
          }
          return answer;
        });
  }

  private CompletionStage<HttpResponse> handOverMessages(List<Envelope> messages) {
    List<CompletableFuture<IngressResult>> stages = new ArrayList<>(messages.size());
    for (Envelope e : messages) {
      CompletableFuture<IngressResult> f = new CompletableFuture<>();
      try {
        sink.accept(e).whenComplete((r, err) -> {
          if (err != null) {
            f.completeExceptionally(err);
          } else {
            f.complete(r);
          }
        });
      } catch (RuntimeException err) {
        f.completeExceptionally(err);
      }
      stages.add(f);
    }
    // allOf completes only when every stage has, so no stage is still running when we answer.
    return CompletableFuture.allOf(stages.toArray(new CompletableFuture<?>[0]))
        .handle(
            (v, err) -> {
              if (err != null) {
                log.warn("{}: webhook batch not stored ({}); answering 503 so the platform retries",
                    network, rootCause(err).getClass().getSimpleName());
                return error(503, "unavailable", "messages could not be stored; retry later");
              }
              logResults(stages);
              long retryAfter = 0;
              for (CompletableFuture<IngressResult> s : stages) {
                if (s.join() instanceof IngressResult.Refused r && r.code().equals(IngressResult.Refused.RATE_LIMITED)) {
                  retryAfter = Math.max(retryAfter, r.retryAfter() == null ? 1 : Math.max(1, (r.retryAfter().toMillis() + 999) / 1000));
                }
              }
              if (retryAfter > 0) {
                log.debug("{}: webhook batch rate limited; answering 429 so the platform retries", network);
                ObjectNode n = EnvelopeJson.mapper().createObjectNode();
                n.putObject("error").put("code", "rate_limited").put("message", "a sender is rate limited; retry later");
                return HttpResponse.json(429, n.toString(), Map.of("retry-after", Long.toString(retryAfter)));
              }
              return ok(stages.size());
            });
  }

  private void logResults(List<CompletableFuture<IngressResult>> stages) {
    if (!log.isDebugEnabled() || stages.isEmpty()) {
      return;
    }
    int accepted = 0;
    int duplicate = 0;
    int refused = 0;
    for (CompletableFuture<IngressResult> s : stages) {
      IngressResult r = s.join();
      if (r instanceof IngressResult.Accepted) {
        accepted++;
      } else if (r instanceof IngressResult.Duplicate) {
        duplicate++;
      } else {
        refused++;
      }
    }
    log.debug("{}: webhook: handed {} message(s): accepted={}, duplicate={}, refused={}",
        network, stages.size(), accepted, duplicate, refused);
  }

  private static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }

  private static HttpResponse ok(int handed) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.put("status", "received");
    n.put("messages", handed);
    return HttpResponse.json(200, n.toString());
  }

  /** A JSON error answer {@code {"error":{"code":..,"message":..}}}; 503 carries {@code retry-after: 1}. */
  public static HttpResponse error(int code, String errorCode, String message) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    ObjectNode e = n.putObject("error");
    e.put("code", errorCode);
    e.put("message", message);
    if (code == 503) {
      return HttpResponse.json(code, n.toString(), Map.of("retry-after", "1"));
    }
    return HttpResponse.json(code, n.toString());
  }
}
