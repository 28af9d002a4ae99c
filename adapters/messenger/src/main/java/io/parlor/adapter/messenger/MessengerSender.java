package io.parlor.adapter.messenger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.adapter.meta.GraphErrors;
import io.parlor.adapter.meta.SenderLabel;
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
 * Envelope → {@code POST {graph}/{version}/me/messages} (Send API, {@code messaging_type:
 * RESPONSE}), answer → {@link DeliveryResult} with the {@code message_id}, or a {@link
 * DeliveryException} from {@link MessengerErrorMapper}. Thread-safe; never blocks the caller: the
 * JDK client's asynchronous API runs on the adapter's executor.
 *
 * <p>What each content becomes (the core graded it first): text; media as an attachment by URL,
 * after a short text naming the sender and carrying the caption (attachments have no caption);
 * a reaction as the {@code react} / {@code unreact} sender action on the message. The page (or
 * Instagram account) is one sender for every counterpart, so the sender is shown as the core
 * presents them ({@link SenderLabel}). Read receipts go out as {@code mark_seen}, typing as {@code
 * typing_on} / {@code typing_off}.
 *
 * <p>Outside the platform's 24-hour window a send fails with code 10 (subcode 2018278, or 2534022
 * on Instagram): with a configured message tag it is sent again with that tag, else it is a
 * permanent {@code WINDOW_CLOSED} failure (the core then tries the person's next account).
 *
 * <p>The Send API has no idempotency key: a retry after a timeout may deliver twice.
 */
final class MessengerSender implements io.parlor.adapter.meta.GraphSender<MessengerSender.Prepared> {
  /** Longest sender label with its separator. */
  static final int MAX_PREFIX = SenderLabel.MAX_PREFIX;

  private final HttpClient client;
  private final URI messagesUri;
  private final String bearer;
  private final NetworkId network;
  private final Platform platform;
  private final Clock clock;
  private final Duration timeout;
  private final Optional<String> messageTag;

  /**
   * A validated send, ready to go.
   *
   * @param preface a text to send first (the sender and caption of an attachment), or null
   * @param body the message's request body
   * @param taggable whether it may go again with the message tag when the window is closed
   */
  record Prepared(String recipientId, byte[] preface, byte[] body, String what, boolean taggable)
      implements io.parlor.adapter.meta.GraphSender.Prepared {
    @Override
    public String recipientKey() {
      return recipientId;
    }
  }

  MessengerSender(HttpClient client, MessengerConfig config, NetworkId network, Clock clock) {
    this.client = client;
    this.messagesUri = config.messagesUri();
    this.bearer = "Bearer " + config.graph().accessToken();
    this.network = network;
    this.platform = config.platform();
    this.clock = clock;
    this.timeout = config.graph().requestTimeout();
    this.messageTag = config.messageTag();
  }

  /**
   * Validates and builds the request bodies. Cheap and synchronous.
   *
   * @throws PermanentDeliveryException when the message can never be sent as it is
   */
  @Override
  public Prepared prepare(Envelope envelope, DeliveryTarget target) throws PermanentDeliveryException {
    String what = "delivery of " + target.idempotencyKey();
    String recipient = recipientId(target.recipient(), network)
        .orElseThrow(() -> new PermanentDeliveryException(
            Reason.RECIPIENT_UNKNOWN, what + ": recipient is not a " + network + " scoped id"));
    Content c = envelope.content();
    switch (c.kind()) {
      case TEXT:
        return new Prepared(recipient, null, requestBody(recipient, prefixedText(envelope, platform, what)), what, true);
      case MEDIA:
        Content.Media m = (Content.Media) c;
        if (m.url() == null || m.encryption() != null) {
          throw new PermanentDeliveryException(Reason.UNSUPPORTED, what + ": media must come by URL, unencrypted");
        }
        String label = m.mediaKind().label() + (m.caption() == null ? "" : ": " + m.caption());
        String text = fit(SenderLabel.prefixed(envelope, label, what));
        return new Prepared(recipient, requestBody(recipient, text), attachmentBody(recipient, m), what, true);
      case REACTION:
        Content.Reaction r = (Content.Reaction) c;
        return new Prepared(recipient, null, reactionBody(recipient, r), what, false);
      default:
        throw new PermanentDeliveryException(
            Reason.UNSUPPORTED, what + ": " + platform.wire() + " business messages cannot carry " + c.kind().wire() + " content");
    }
  }

  /** Sends a prepared message (its preface first). The stage completes on the adapter's executor. */
  @Override
  public CompletableFuture<DeliveryResult> send(Prepared p) {
    return sendOnce(p, null).handle((r, err) -> {
      if (err == null) {
        return CompletableFuture.completedFuture(r);
      }
      Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
      if (cause instanceof PermanentDeliveryException pe && pe.reason() == Reason.WINDOW_CLOSED
          && p.taggable() && messageTag.isPresent()) {
        return sendOnce(p, messageTag.get());
      }
      return CompletableFuture.<DeliveryResult>failedFuture(cause);
    }).thenCompose(x -> x);
  }

  private CompletableFuture<DeliveryResult> sendOnce(Prepared p, String tag) {
    byte[] body = tag == null ? p.body() : tagged(p.body(), tag);
    if (p.preface() == null) {
      return post(body, p.what());
    }
    byte[] preface = tag == null ? p.preface() : tagged(p.preface(), tag);
    return post(preface, p.what()).thenCompose(x -> post(body, p.what()));
  }

  /** A sender action ({@code mark_seen}, {@code typing_on}, {@code typing_off}) to a person. */
  CompletableFuture<Void> senderAction(String recipientId, String action, String what) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.putObject("recipient").put("id", recipientId);
    n.put("sender_action", action);
    return post(bytes(n), what).thenApply(r -> null);
  }

  private CompletableFuture<DeliveryResult> post(byte[] body, String what) {
    HttpRequest req =
        HttpRequest.newBuilder(messagesUri)
            .timeout(timeout)
            .header("Authorization", bearer)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    return GraphErrors.post(client, req, what, "Send API", MessengerSender::success, resp -> failure(resp, what));
  }

  /** The JSON body of a text message (package-private for tests). */
  static byte[] requestBody(String recipientId, String text) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.putObject("recipient").put("id", recipientId);
    n.put("messaging_type", "RESPONSE");
    n.putObject("message").put("text", text);
    return bytes(n);
  }

  /** An attachment by URL: image, video, audio or file. */
  static byte[] attachmentBody(String recipientId, Content.Media m) {
    String type;
    switch (m.mediaKind()) {
      case IMAGE:
      case STICKER:
        type = "image";
        break;
      case VIDEO:
        type = "video";
        break;
      case AUDIO:
      case VOICE:
        type = "audio";
        break;
      default:
        type = "file";
        break;
    }
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.putObject("recipient").put("id", recipientId);
    n.put("messaging_type", "RESPONSE");
    ObjectNode a = n.putObject("message").putObject("attachment");
    a.put("type", type);
    a.putObject("payload").put("url", m.url()).put("is_reusable", false);
    return bytes(n);
  }

  /** {@code react} with the emoji on a message, or {@code unreact} to remove it. */
  static byte[] reactionBody(String recipientId, Content.Reaction r) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.putObject("recipient").put("id", recipientId);
    n.put("sender_action", r.removal() ? "unreact" : "react");
    ObjectNode payload = n.putObject("payload");
    payload.put("message_id", r.target().value());
    if (!r.removal()) {
      payload.put("reaction", r.emoji());
    }
    return bytes(n);
  }

  /** The same message with {@code messaging_type: MESSAGE_TAG} and the tag. */
  private static byte[] tagged(byte[] body, String tag) {
    try {
      ObjectNode n = (ObjectNode) EnvelopeJson.mapper().readTree(body);
      n.put("messaging_type", "MESSAGE_TAG");
      n.put("tag", tag);
      return bytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code "<from>: <text>"}; refuses senders that are not handles and texts that do not fit. */
  static String prefixedText(Envelope envelope, Platform platform, String what) throws PermanentDeliveryException {
    if (!(envelope.content() instanceof Content.Text)) {
      throw new PermanentDeliveryException(
          Reason.UNSUPPORTED, what + ": " + platform.wire() + " business messages carry plaintext only");
    }
    String text = SenderLabel.prefixed(envelope, ((Content.Text) envelope.content()).text(), what);
    if (!platform.fits(text)) {
      throw new PermanentDeliveryException(
          Reason.TOO_LONG,
          what + ": text with sender prefix exceeds " + platform.maxText() + " " + platform.unit());
    }
    return text;
  }

  /** A preface cut (by whole code points, with an ellipsis) to what the platform takes. */
  private String fit(String text) {
    if (platform.fits(text)) {
      return text;
    }
    String t = text;
    while (!t.isEmpty() && !platform.fits(t + "\u2026")) {
      t = t.substring(0, t.offsetByCodePoints(t.length(), -1));
    }
    return t + "\u2026";
  }

  private static byte[] bytes(ObjectNode n) {
    try {
      return EnvelopeJson.mapper().writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException("JSON serialisation failed", e);
    }
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
