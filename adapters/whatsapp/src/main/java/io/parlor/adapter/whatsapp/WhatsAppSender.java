package io.parlor.adapter.whatsapp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.adapter.meta.GraphErrors;
import io.parlor.adapter.meta.SenderLabel;
import io.parlor.spi.MediaSource;
import java.util.List;
import java.util.Map;
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
 * Envelope → {@code POST {graph}/{version}/{phoneNumberId}/messages}, answer → {@link
 * DeliveryResult} with the wamid, or a {@link DeliveryException} from {@link WhatsAppErrorMapper}.
 * Thread-safe; never blocks the caller: the JDK client's asynchronous API runs on the adapter's
 * executor.
 *
 * <p>What each content becomes (the core graded it first; see {@link WhatsAppMessages}): text; an
 * image, video or document by {@code link} with the sender in its caption; an audio, voice message
 * or sticker (no caption on WhatsApp) after a short text naming the sender; a reaction to the
 * message it names; a location. The business number is one sender for every counterpart, so the
 * sender is shown as the core presents them ({@link SenderLabel}). Read receipts go out as
 * mark-as-read, typing as the typing indicator (which also marks the last message read).
 *
 * <p>The customer-service window: a person who has not written to the business number in the last
 * 24 hours can only be sent an approved template. When a template is configured, text goes out as
 * that template unless the person wrote within the window (as far as this node saw since it
 * started), and also when the Graph API answers 131047; without one, or for content a template
 * cannot carry, that is a permanent {@code WINDOW_CLOSED} failure (the core then tries the
 * person's next account).
 *
 * <p>The Graph API has no idempotency key: a retry after a timeout may deliver twice.
 */
final class WhatsAppSender implements io.parlor.adapter.meta.GraphSender<WhatsAppSender.Prepared> {
  /** WhatsApp's limit for a text body. */
  static final int PLATFORM_MAX_TEXT = 4096;
  /** Longest sender label with its separator. */
  static final int MAX_PREFIX = SenderLabel.MAX_PREFIX;
  /** Graph error of a send outside the customer-service window. */
  static final int REENGAGEMENT = 131047;

  private final HttpClient client;
  private final URI messagesUri;
  private final String bearer;
  private final NetworkId network;
  private final Clock clock;
  private final Duration timeout;
  private final WhatsAppConfig config;
  private final ServiceWindows windows;

  /**
   * A validated send, ready to go.
   *
   * @param preface a text to send first (the sender of captionless media), or null
   * @param body the message's request body
   * @param templateText for text: what a template would carry when the window is closed, else null
   */
  record Prepared(String recipientDigits, byte[] preface, byte[] body, String what, String templateText)
      implements io.parlor.adapter.meta.GraphSender.Prepared {
    @Override
    public String recipientKey() {
      return recipientDigits;
    }
  }

  WhatsAppSender(HttpClient client, WhatsAppConfig config, NetworkId network, Clock clock) {
    this(client, config, network, clock, new ServiceWindows(clock));
  }

  WhatsAppSender(HttpClient client, WhatsAppConfig config, NetworkId network, Clock clock, ServiceWindows windows) {
    this.client = client;
    this.messagesUri = config.messagesUri();
    this.bearer = "Bearer " + config.graph().accessToken();
    this.network = network;
    this.clock = clock;
    this.timeout = config.graph().requestTimeout();
    this.config = config;
    this.windows = windows;
  }

  /**
   * Validates and builds the request bodies. Cheap and synchronous.
   *
   * @throws PermanentDeliveryException when the message can never be sent as it is
   */
  @Override
  public Prepared prepare(Envelope envelope, DeliveryTarget target) throws PermanentDeliveryException {
    String what = "delivery of " + target.idempotencyKey();
    String digits = recipientDigits(target.recipient(), network)
        .orElseThrow(() -> new PermanentDeliveryException(
            Reason.RECIPIENT_UNKNOWN, what + ": recipient is not a " + network + " phone number"));
    WhatsAppMessages.Built built = WhatsAppMessages.build(digits, envelope, what);
    return new Prepared(digits, built.preface(), built.body(), what, built.templateText());
  }

  /** Sends a prepared message. The stage completes on the adapter's executor. */
  @Override
  public CompletableFuture<DeliveryResult> send(Prepared p) {
    boolean template = p.templateText() != null && config.messageTemplate().isPresent()
        && !windows.open(p.recipientDigits());
    if (template) {
      return post(templateBody(p), p.what());
    }
    CompletableFuture<DeliveryResult> plain =
        p.preface() == null ? post(p.body(), p.what()) : post(p.preface(), p.what()).thenCompose(x -> post(p.body(), p.what()));
    return plain.handle((r, err) -> {
      if (err == null) {
        return CompletableFuture.completedFuture(r);
      }
      Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
      if (cause instanceof PermanentDeliveryException pe && pe.reason() == Reason.WINDOW_CLOSED) {
        windows.closed(p.recipientDigits());
        if (p.templateText() != null && config.messageTemplate().isPresent()) {
          return post(templateBody(p), p.what());
        }
      }
      return CompletableFuture.<DeliveryResult>failedFuture(cause);
    }).thenCompose(x -> x);
  }

  private byte[] templateBody(Prepared p) {
    WhatsAppConfig.Template t = config.messageTemplate().orElseThrow();
    return WhatsAppMessages.template(p.recipientDigits(), t, List.of(WhatsAppMessages.templateParameter(p.templateText())), false);
  }

  /** A one-time code as the configured authentication template. */
  CompletableFuture<DeliveryResult> sendCode(Address account, String code, String what) throws PermanentDeliveryException {
    String digits = recipientDigits(account, network)
        .orElseThrow(() -> new PermanentDeliveryException(Reason.RECIPIENT_UNKNOWN, what + ": not a phone number"));
    WhatsAppConfig.Template t = config.codeTemplate().orElseThrow();
    return post(WhatsAppMessages.template(digits, t, List.of(code), true), what);
  }

  /** Marks the person's message {@code wamid} read (read receipt; also shows typing if asked). */
  CompletableFuture<Void> markRead(String wamid, boolean typing, String what) {
    return post(WhatsAppMessages.markRead(wamid, typing), what).thenApply(r -> null);
  }

  /**
   * Where the bytes of media {@code mediaId} are: {@code GET {graph}/{version}/{mediaId}} with the
   * token gives a short-lived URL, which must be fetched with the same token.
   */
  CompletableFuture<MediaSource.MediaLocation> locate(String mediaId) {
    String what = "media lookup";
    if (!mediaId.matches("[0-9A-Za-z_.-]{1,128}")) {
      return CompletableFuture.failedFuture(new PermanentDeliveryException(Reason.CONTENT_REJECTED, what + ": not a media id"));
    }
    HttpRequest req = HttpRequest.newBuilder(config.graphUri(mediaId)).timeout(timeout)
        .header("Authorization", bearer).GET().build();
    CompletableFuture<MediaSource.MediaLocation> out = new CompletableFuture<>();
    client.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, err) -> {
      if (err != null) {
        out.completeExceptionally(GraphErrors.fromThrowable(err, what, "Graph API"));
        return;
      }
      if (resp.statusCode() != 200) {
        out.completeExceptionally(failure(resp, what));
        return;
      }
      try {
        JsonNode n = EnvelopeJson.mapper().readTree(resp.body());
        URI url = URI.create(n.path("url").asText(""));
        Long size = n.path("file_size").canConvertToLong() ? n.path("file_size").asLong()
            : n.path("file_size").isTextual() ? Long.valueOf(n.path("file_size").asText()) : null;
        out.complete(new MediaSource.MediaLocation(
            url, Map.of("authorization", bearer), size, WhatsAppNormalizer.sha256Hex(n.path("sha256").asText(null))));
      } catch (IOException | RuntimeException e) {
        out.completeExceptionally(new PermanentDeliveryException(Reason.CONTENT_REJECTED, what + ": unreadable answer"));
      }
    });
    return out;
  }

  private CompletableFuture<DeliveryResult> post(byte[] body, String what) {
    HttpRequest req =
        HttpRequest.newBuilder(messagesUri)
            .timeout(timeout)
            .header("Authorization", bearer)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    return GraphErrors.post(client, req, what, "Graph API", WhatsAppSender::success, resp -> failure(resp, what));
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
