package io.parlor.adapter.whatsapp;

import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.WebhookBatch;
import io.parlor.adapter.meta.WebhookBatchHandover;
import io.parlor.adapter.meta.WebhookGate;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.InboundSink;
import io.parlor.spi.NetworkReceipt;
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
 * phone numbers or message ids. Thread-safe (no mutable state).
 */
final class WhatsAppIngress {
  private static final Logger log = LoggerFactory.getLogger(WhatsAppIngress.class);

  private final WebhookGate gate;
  private final WhatsAppNormalizer normalizer;
  private final WebhookBatchHandover handover;
  private final String network;
  private final AdapterContext.ReceiptSink receipts;
  private final java.util.function.Consumer<io.parlor.spi.envelope.Envelope> windows;

  WhatsAppIngress(
      HubSignature signature, String verifyToken, WhatsAppNormalizer normalizer, InboundSink sink, String network) {
    this(signature, verifyToken, normalizer, sink, network, r -> {}, io.parlor.spi.EventSink.refusing(), m -> {});
  }

  /**
   * @param windows told of every message a person sent (the 24-hour customer-service window)
   */
  WhatsAppIngress(
      HubSignature signature,
      String verifyToken,
      WhatsAppNormalizer normalizer,
      InboundSink sink,
      String network,
      AdapterContext.ReceiptSink receipts,
      io.parlor.spi.EventSink events,
      java.util.function.Consumer<io.parlor.spi.envelope.Envelope> windows) {
    this.receipts = receipts;
    this.gate = new WebhookGate(signature, verifyToken, network, log);
    this.normalizer = normalizer;
    this.handover = new WebhookBatchHandover(sink, events, network, log);
    this.network = network;
    this.windows = windows;
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
    WebhookBatch<WhatsAppStatus> batch = normalizer.normalize(opened.root());
    logBatch(batch);
    batch.statuses().forEach(this::report);
    batch.messages().forEach(windows);
    return handover.handOver(batch.messages(), batch.reads());
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

  private void logBatch(WebhookBatch<WhatsAppStatus> batch) {
    if (batch.skippedCount() > 0) {
      // Kinds are message types or reasons, never content or identifiers.
      log.info("{}: webhook: {} message(s); skipped {} (by kind: {})",
          network, batch.messages().size(), batch.skippedCount(), batch.skipped());
    }
    if (!batch.statuses().isEmpty() && log.isDebugEnabled()) {
      Map<WhatsAppStatus.State, Integer> byState = new EnumMap<>(WhatsAppStatus.State.class);
      batch.statuses().forEach(s -> byState.merge(s.state(), 1, Integer::sum));
      log.debug("{}: webhook: statuses {}", network, byState);
    }
  }
}
