package io.parlor.adapter.whatsapp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.InboundSink;
import io.parlor.spi.NetworkReceipt;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook endpoints at {@code /webhooks/{networkId}}:
 *
 * <ul>
 *   <li>{@code GET}: the subscription handshake. {@code hub.mode=subscribe} with the configured
 *       {@code hub.verify_token} (compared in constant time) → 200 text/plain echoing {@code
 *       hub.challenge}; anything else → 403.
 *   <li>{@code POST}: verifies {@code X-Hub-Signature-256} over the raw body (missing or wrong →
 *       401, nothing reaches the core), normalizes, hands every text message to the core and
 *       answers 200 only once every {@link InboundSink} stage completed normally (accepted,
 *       duplicate or refused: all handled for good); if any failed (store unavailable) → 503, and
 *       the platform redelivers the whole batch (the core dedupes by message id).
 * </ul>
 *
 * <p>Handlers run on the core's event loop and never block: parsing is in memory and the answer
 * is sent when the sink's stages complete. Logs carry counts and kinds only, never message text,
 * phone numbers or message ids. Thread-safe (no mutable state).
 */
final class WhatsAppIngress {
  private static final Logger log = LoggerFactory.getLogger(WhatsAppIngress.class);

  private final HubSignature signature;
  private final String verifyToken;
  private final WhatsAppNormalizer normalizer;
  private final InboundSink sink;
  private final String network;
  private final AdapterContext.ReceiptSink receipts;

  WhatsAppIngress(
      HubSignature signature, String verifyToken, WhatsAppNormalizer normalizer, InboundSink sink, String network) {
    this(signature, verifyToken, normalizer, sink, network, r -> {});
  }

  WhatsAppIngress(
      HubSignature signature,
      String verifyToken,
      WhatsAppNormalizer normalizer,
      InboundSink sink,
      String network,
      AdapterContext.ReceiptSink receipts) {
    this.receipts = receipts;
    this.signature = signature;
    this.verifyToken = verifyToken;
    this.normalizer = normalizer;
    this.sink = sink;
    this.network = network;
  }

  /** {@code GET /webhooks/{networkId}}: the subscription handshake. */
  CompletionStage<HttpResponse> verify(HttpRequest request) {
    String mode = request.queryParam("hub.mode").orElse("");
    String token = request.queryParam("hub.verify_token").orElse(null);
    String challenge = request.queryParam("hub.challenge").orElse("");
    boolean tokenOk = HubSignature.secretEquals(verifyToken, token);
    if (!"subscribe".equals(mode) || !tokenOk || !validChallenge(challenge)) {
      log.warn("{}: webhook subscription handshake refused (mode or verify token wrong)", network);
      return done(HttpResponse.text(403, "forbidden"));
    }
    log.info("{}: webhook subscription handshake accepted", network);
    return done(HttpResponse.text(200, challenge));
  }

  /** {@code POST /webhooks/{networkId}}: a signed batch of events. */
  CompletionStage<HttpResponse> receive(HttpRequest request) {
    byte[] body = request.body();
    if (!signature.verify(request.header(HubSignature.HEADER).orElse(null), body)) {
      log.warn("{}: webhook refused: X-Hub-Signature-256 missing or wrong", network);
      return done(error(401, "bad_signature", "X-Hub-Signature-256 missing or wrong"));
    }
    JsonNode root;
    try {
      root = EnvelopeJson.mapper().readTree(body);
    } catch (IOException e) {
      return done(error(400, "invalid_payload", "body is not JSON"));
    }
    if (root == null || !root.isObject()) {
      return done(error(400, "invalid_payload", "body must be a JSON object"));
    }
    WhatsAppNormalizer.Batch batch = normalizer.normalize(root);
    logBatch(batch);
    batch.statuses().forEach(this::report);
    return handOver(batch.messages());
  }

  private CompletionStage<HttpResponse> handOver(List<Envelope> messages) {
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
              return ok(stages.size());
            });
  }

  /** Statuses of messages Parlor sent become receipts for the core (sent is not final). */
  private void report(WhatsAppStatus s) {
    NetworkReceipt.Outcome outcome;
    switch (s.state()) {
      case DELIVERED:
      case READ:
      case PLAYED:
        outcome = NetworkReceipt.Outcome.DELIVERED;
        break;
      case FAILED:
        outcome = NetworkReceipt.Outcome.FAILED;
        break;
      default:
        return;
    }
    receipts.onReceipt(
        new NetworkReceipt(null, s.messageId().value(), outcome, s.errorCodeOpt().map(String::valueOf).orElse(""), s.at()));
  }

  private void logBatch(WhatsAppNormalizer.Batch batch) {
    if (batch.skippedCount() > 0) {
      // Kinds are message types or reasons, never content or identifiers.
      log.info("{}: webhook: {} text message(s); skipped {} (by kind: {})",
          network, batch.messages().size(), batch.skippedCount(), batch.skipped());
    }
    if (!batch.statuses().isEmpty() && log.isDebugEnabled()) {
      Map<WhatsAppStatus.State, Integer> byState = new EnumMap<>(WhatsAppStatus.State.class);
      batch.statuses().forEach(s -> byState.merge(s.state(), 1, Integer::sum));
      log.debug("{}: webhook: statuses {}", network, byState);
    }
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

  /** Meta sends a numeric challenge; accept short visible ASCII, echo nothing else. */
  private static boolean validChallenge(String c) {
    if (c.isEmpty() || c.length() > 256) {
      return false;
    }
    for (int i = 0; i < c.length(); i++) {
      char ch = c.charAt(i);
      if (ch < 0x21 || ch > 0x7e) {
        return false;
      }
    }
    return true;
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

  static HttpResponse error(int code, String errorCode, String message) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    ObjectNode e = n.putObject("error");
    e.put("code", errorCode);
    e.put("message", message);
    if (code == 503) {
      return HttpResponse.json(code, n.toString(), Map.of("retry-after", "1"));
    }
    return HttpResponse.json(code, n.toString());
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }
}
