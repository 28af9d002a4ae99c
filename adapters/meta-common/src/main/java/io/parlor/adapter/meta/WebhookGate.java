package io.parlor.adapter.meta;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;

/**
 * The checks in front of a Meta webhook endpoint: the {@code GET} subscription handshake and, for
 * {@code POST}, the {@code X-Hub-Signature-256} check over the raw body and the JSON parse.
 *
 * <p>Runs on the core's event loop and never blocks. Logs go to the adapter's logger (given to
 * the constructor) and carry the network name only, never tokens, bodies or identifiers.
 * Thread-safe (no mutable state).
 */
public final class WebhookGate {
  private final HubSignature signature;
  private final String verifyToken;
  private final String network;
  private final Logger log;

  /** The outcome of {@link #open}: the JSON object of the batch, or the answer to send instead. */
  public record Opened(JsonNode root, HttpResponse refusal) {
    public boolean refused() {
      return refusal != null;
    }
  }

  public WebhookGate(HubSignature signature, String verifyToken, String network, Logger log) {
    this.signature = signature;
    this.verifyToken = verifyToken;
    this.network = network;
    this.log = log;
  }

  /**
   * The subscription handshake: {@code hub.mode=subscribe} with the configured {@code
   * hub.verify_token} (compared in constant time) → 200 text/plain echoing {@code hub.challenge};
   * anything else → 403.
   */
  public CompletionStage<HttpResponse> verify(HttpRequest request) {
    String mode = request.queryParam("hub.mode").orElse("");
    String token = request.queryParam("hub.verify_token").orElse(null);
    String challenge = request.queryParam("hub.challenge").orElse("");
    boolean tokenOk = HubSignature.secretEquals(verifyToken, token);
    if (!"subscribe".equals(mode) || !tokenOk || !validChallenge(challenge)) {
      log.warn("{}: webhook subscription handshake refused (mode or verify token wrong)", network);
      return done(WebhookBatchHandover.error(403, "forbidden", "hub.mode or hub.verify_token wrong"));
    }
    log.info("{}: webhook subscription handshake accepted", network);
    return done(HttpResponse.text(200, challenge));
  }

  /**
   * A signed batch: missing or wrong signature → 401, not JSON → 400, not a JSON object → 400;
   * else the parsed object.
   */
  public Opened open(HttpRequest request) {
    byte[] body = request.body();
    if (!signature.verify(request.header(HubSignature.HEADER).orElse(null), body)) {
      log.warn("{}: webhook refused: X-Hub-Signature-256 missing or wrong", network);
      return refuse(WebhookBatchHandover.error(401, "bad_signature", "X-Hub-Signature-256 missing or wrong"));
    }
    JsonNode root;
    try {
      root = EnvelopeJson.readJson(body, true); // one bad string must not cost the batch (Meta drops it after retries)
    } catch (io.parlor.spi.envelope.EnvelopeException e) {
      return refuse(WebhookBatchHandover.error(400, "invalid_payload", e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      return refuse(WebhookBatchHandover.error(400, "invalid_payload", "body must be a JSON object"));
    }
    return new Opened(root, null);
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

  private static Opened refuse(HttpResponse r) {
    return new Opened(null, r);
  }

  /** An answer that is ready now. */
  public static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }
}
