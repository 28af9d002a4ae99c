package io.parlor.adapter.whatsapp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.adapter.meta.GraphErrors;
import io.parlor.spi.DeliveryException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.json.EnvelopeJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Envelope → {@code POST {graph}/{version}/{phoneNumberId}/messages} (a WhatsApp text message),
 * answer → {@link DeliveryResult} with the wamid, or a {@link DeliveryException} from {@link
 * WhatsAppErrorMapper}. Thread-safe; never blocks the caller: the JDK client's asynchronous API
 * runs on the adapter's executor.
 *
 * <p>The business number is one sender for every counterpart, so the text is prefixed with the
 * sender's handle as the core presents it ({@code ~relay} or {@code @handle}): {@code "~abcd1234:
 * hello"}. An account address (which could be a phone number of another network) is never shown:
 * such an envelope is refused.
 *
 * <p>The Graph API has no idempotency key: a retry after a timeout may deliver twice.
 */
final class WhatsAppSender {
  /** WhatsApp's limit for a text body. */
  static final int PLATFORM_MAX_TEXT = 4096;
  /** Longest sender prefix: a 33-character handle or relay handle, a colon and a space. */
  static final int MAX_PREFIX = 35;

  private final HttpClient client;
  private final URI messagesUri;
  private final String bearer;
  private final NetworkId network;
  private final Clock clock;
  private final Duration timeout;

  /** A validated send, ready to go. */
  record Prepared(String recipientDigits, byte[] body, String what) {}

  WhatsAppSender(HttpClient client, WhatsAppConfig config, NetworkId network, Clock clock) {
    this.client = client;
    this.messagesUri = config.messagesUri();
    this.bearer = "Bearer " + config.accessToken();
    this.network = network;
    this.clock = clock;
    this.timeout = config.requestTimeout();
  }

  /**
   * Validates and builds the request body. Cheap and synchronous.
   *
   * @throws PermanentDeliveryException when the message can never be sent as it is
   */
  Prepared prepare(Envelope envelope, DeliveryTarget target) throws PermanentDeliveryException {
    String what = "delivery of " + target.idempotencyKey();
    String digits = recipientDigits(target.recipient(), network)
        .orElseThrow(() -> new PermanentDeliveryException(
            Reason.RECIPIENT_UNKNOWN, what + ": recipient is not a " + network + " phone number"));
    String text = prefixedText(envelope, what);
    return new Prepared(digits, requestBody(digits, text, envelope), what);
  }

  /** Sends a prepared message. The stage completes on the adapter's executor. */
  CompletableFuture<DeliveryResult> send(Prepared p) {
    HttpRequest req =
        HttpRequest.newBuilder(messagesUri)
            .timeout(timeout)
            .header("Authorization", bearer)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(p.body()))
            .build();
    return GraphErrors.post(
        client, req, p.what(), "Graph API", WhatsAppSender::success, resp -> failure(resp, p.what()));
  }

  /** The JSON body of a text message (package-private for tests). */
  static byte[] requestBody(String digits, String text, Envelope envelope) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.put("messaging_product", "whatsapp");
    n.put("to", digits);
    n.put("type", "text");
    n.putObject("text").put("body", text);
    envelope.replyToOpt().ifPresent(r -> n.putObject("context").put("message_id", r.value()));
    try {
      return EnvelopeJson.mapper().writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException("JSON serialisation failed", e);
    }
  }

  /** {@code "<from>: <text>"}; refuses senders that are not handles and texts that do not fit. */
  static String prefixedText(Envelope envelope, String what) throws PermanentDeliveryException {
    if (!(envelope.content() instanceof Content.Text)) {
      throw new PermanentDeliveryException(
          Reason.UNSUPPORTED, what + ": WhatsApp business messages carry plaintext only");
    }
    Address from = envelope.from();
    if (from.kind() == Address.Kind.ACCOUNT) {
      throw new PermanentDeliveryException(
          Reason.UNSUPPORTED, what + ": sender must be presented as a ~relay or @handle, not an account");
    }
    String text = from.value() + ": " + ((Content.Text) envelope.content()).text();
    if (text.length() > PLATFORM_MAX_TEXT) {
      throw new PermanentDeliveryException(
          Reason.TOO_LONG, what + ": text with sender prefix exceeds " + PLATFORM_MAX_TEXT + " characters");
    }
    return text;
  }

  /** The digits of a {@code <network>:+<E.164>} recipient on this network. */
  static Optional<String> recipientDigits(Address recipient, NetworkId network) {
    if (recipient.kind() != Address.Kind.ACCOUNT || !recipient.network().orElseThrow().equals(network)) {
      return Optional.empty();
    }
    return WhatsAppNormalizer.digits(recipient.account());
  }

  private static DeliveryResult success(byte[] body) {
    try {
      JsonNode id = EnvelopeJson.mapper().readTree(body).path("messages").path(0).path("id");
      if (id.isTextual() && !id.asText().isEmpty()) {
        return new DeliveryResult(WhatsAppNormalizer.messageId(id.asText()).value());
      }
    } catch (IOException | RuntimeException e) {
      // Accepted by the platform, but no id to correlate receipts: still delivered.
    }
    return DeliveryResult.accepted();
  }

  private DeliveryException failure(HttpResponse<byte[]> resp, String what) {
    Integer code = null;
    try {
      JsonNode c = EnvelopeJson.mapper().readTree(resp.body()).path("error").path("code");
      code = c.canConvertToInt() ? c.intValue() : null;
    } catch (IOException | RuntimeException e) {
      // Not a Graph error body (a proxy's HTML page, say): map by HTTP status.
    }
    Duration retryAfter =
        GraphErrors.retryAfter(resp.headers().firstValue("retry-after").orElse(null), clock);
    return WhatsAppErrorMapper.fromGraphError(resp.statusCode(), code, retryAfter, what);
  }
}
