package io.parlor.adapter.messenger;

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
 * Envelope → {@code POST {graph}/{version}/me/messages} (a Send API text message in reply to the
 * person, {@code messaging_type: RESPONSE}), answer → {@link DeliveryResult} with the {@code
 * message_id}, or a {@link DeliveryException} from {@link MessengerErrorMapper}. Thread-safe;
 * never blocks the caller: the JDK client's asynchronous API runs on the adapter's executor.
 *
 * <p>The page (or Instagram account) is one sender for every counterpart, so the text is
 * prefixed with the sender's handle as the core presents it ({@code ~relay} or {@code @handle}):
 * {@code "~abcd1234: hello"}. An account address (which could be a phone number of another
 * network) is never shown: such an envelope is refused.
 *
 * <p>The Send API has no idempotency key: a retry after a timeout may deliver twice.
 */
final class MessengerSender {
  /** Longest sender prefix: a 33-character handle or relay handle, a colon and a space. */
  static final int MAX_PREFIX = 35;

  private final HttpClient client;
  private final URI messagesUri;
  private final String bearer;
  private final NetworkId network;
  private final Platform platform;
  private final Clock clock;
  private final Duration timeout;

  /** A validated send, ready to go. */
  record Prepared(String recipientId, byte[] body, String what) {}

  MessengerSender(HttpClient client, MessengerConfig config, NetworkId network, Clock clock) {
    this.client = client;
    this.messagesUri = config.messagesUri();
    this.bearer = "Bearer " + config.accessToken();
    this.network = network;
    this.platform = config.platform();
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
    String recipient = recipientId(target.recipient(), network)
        .orElseThrow(() -> new PermanentDeliveryException(
            Reason.RECIPIENT_UNKNOWN, what + ": recipient is not a " + network + " scoped id"));
    String text = prefixedText(envelope, platform, what);
    return new Prepared(recipient, requestBody(recipient, text), what);
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
        client, req, p.what(), "Send API", MessengerSender::success, resp -> failure(resp, p.what()));
  }

  /** The JSON body of a text message (package-private for tests). */
  static byte[] requestBody(String recipientId, String text) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.putObject("recipient").put("id", recipientId);
    n.put("messaging_type", "RESPONSE");
    n.putObject("message").put("text", text);
    try {
      return EnvelopeJson.mapper().writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException("JSON serialisation failed", e);
    }
  }

  /** {@code "<from>: <text>"}; refuses senders that are not handles and texts that do not fit. */
  static String prefixedText(Envelope envelope, Platform platform, String what) throws PermanentDeliveryException {
    if (!(envelope.content() instanceof Content.Text)) {
      throw new PermanentDeliveryException(
          Reason.UNSUPPORTED, what + ": " + platform.wire() + " business messages carry plaintext only");
    }
    Address from = envelope.from();
    if (from.kind() == Address.Kind.ACCOUNT) {
      throw new PermanentDeliveryException(
          Reason.UNSUPPORTED, what + ": sender must be presented as a ~relay or @handle, not an account");
    }
    String text = from.value() + ": " + ((Content.Text) envelope.content()).text();
    if (!platform.fits(text)) {
      throw new PermanentDeliveryException(
          Reason.TOO_LONG,
          what + ": text with sender prefix exceeds " + platform.maxText() + " " + platform.unit());
    }
    return text;
  }

  /** The scoped id (PSID / IGSID) of a {@code <network>:<id>} recipient on this network. */
  static Optional<String> recipientId(Address recipient, NetworkId network) {
    if (recipient.kind() != Address.Kind.ACCOUNT || !recipient.network().orElseThrow().equals(network)) {
      return Optional.empty();
    }
    return MessengerNormalizer.scopedId(recipient.account());
  }

  private static DeliveryResult success(byte[] body) {
    try {
      JsonNode id = EnvelopeJson.mapper().readTree(body).path("message_id");
      if (id.isTextual() && !id.asText().isEmpty()) {
        return new DeliveryResult(MessengerNormalizer.messageId(id.asText()).value());
      }
    } catch (IOException | RuntimeException e) {
      // Accepted by the platform, but no id to correlate receipts: still delivered.
    }
    return DeliveryResult.accepted();
  }

  private DeliveryException failure(HttpResponse<byte[]> resp, String what) {
    Integer code = null;
    Integer subcode = null;
    try {
      JsonNode error = EnvelopeJson.mapper().readTree(resp.body()).path("error");
      code = error.path("code").canConvertToInt() ? error.path("code").intValue() : null;
      subcode = error.path("error_subcode").canConvertToInt() ? error.path("error_subcode").intValue() : null;
    } catch (IOException | RuntimeException e) {
      // Not a Graph error body (a proxy's HTML page, say): map by HTTP status.
    }
    Duration retryAfter =
        GraphErrors.retryAfter(resp.headers().firstValue("retry-after").orElse(null), clock);
    return MessengerErrorMapper.fromGraphError(resp.statusCode(), code, subcode, retryAfter, what);
  }
}
