package io.parlor.adapter.messenger;

import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.WebhookBatch;
import io.parlor.adapter.meta.WebhookBatchHandover;
import io.parlor.adapter.meta.WebhookGate;
import io.parlor.spi.InboundSink;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import java.util.EnumMap;
import java.util.Map;
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
 * <p>The handshake and signature check are {@link WebhookGate}'s, the hand-over and its answer
 * {@link WebhookBatchHandover}'s; both log to this class's logger.
 *
 * <p>Handlers run on the core's event loop and never block: parsing is in memory and the answer
 * is sent when the sink's stages complete. Logs carry counts and kinds only, never message text,
 * scoped ids (PSID, IGSID) or message ids. Thread-safe (no mutable state).
 */
final class MessengerIngress {
  private static final Logger log = LoggerFactory.getLogger(MessengerIngress.class);

  private final WebhookGate gate;
  private final MessengerNormalizer normalizer;
  private final WebhookBatchHandover handover;
  private final String network;

  MessengerIngress(
      HubSignature signature, String verifyToken, MessengerNormalizer normalizer, InboundSink sink, String network) {
    this(signature, verifyToken, normalizer, sink, io.parlor.spi.EventSink.refusing(), network);
  }

  /** With {@code events}, where read receipts go. */
  MessengerIngress(
      HubSignature signature, String verifyToken, MessengerNormalizer normalizer, InboundSink sink,
      io.parlor.spi.EventSink events, String network) {
    this.gate = new WebhookGate(signature, verifyToken, network, log);
    this.normalizer = normalizer;
    this.handover = new WebhookBatchHandover(sink, events, network, log);
    this.network = network;
  }

  /** {@code GET /webhooks/{networkId}}: the subscription handshake. */
  CompletionStage<HttpResponse> verify(HttpRequest request) {
    return gate.verify(request);
  }

  /** {@code POST /webhooks/{networkId}}: a signed batch of events. */
  CompletionStage<HttpResponse> receive(HttpRequest request) {
    WebhookGate.Opened opened = gate.open(request);
    if (opened.refused()) {
      return WebhookGate.done(opened.refusal());
    }
    WebhookBatch<MessengerStatus> batch = normalizer.normalize(opened.root());
    logBatch(batch);
    return handover.handOver(batch.messages(), batch.reads());
  }

  private void logBatch(WebhookBatch<MessengerStatus> batch) {
    if (batch.skippedCount() > 0) {
      // Kinds are message types or reasons, never content or identifiers.
      log.info("{}: webhook: {} message(s); skipped {} (by kind: {})",
          network, batch.messages().size(), batch.skippedCount(), batch.skipped());
    }
    if (!batch.statuses().isEmpty() && log.isDebugEnabled()) {
      Map<MessengerStatus.State, Integer> byState = new EnumMap<>(MessengerStatus.State.class);
      batch.statuses().forEach(s -> byState.merge(s.state(), 1, Integer::sum));
      log.debug("{}: webhook: statuses {}", network, byState);
    }
  }
}
