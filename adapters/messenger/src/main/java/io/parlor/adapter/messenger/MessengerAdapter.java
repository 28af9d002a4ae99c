package io.parlor.adapter.messenger;

import io.parlor.adapter.meta.GraphAdapter;
import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.RateLimiter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.EventSender;
import io.parlor.spi.MediaSource;
import io.parlor.spi.StatusReceiver;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.EventKind;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import io.parlor.spi.Capabilities;
import io.parlor.spi.Level;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.http.HttpRoute;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One Facebook Page on Messenger, or one Instagram professional account (through its linked
 * Page), on the Messenger Platform. Thread-safe.
 *
 * <p>Lifecycle, health (CONNECTED, AUTH_FAILED until a send succeeds again), the HTTP client and
 * its executor are {@link GraphAdapter}'s.
 *
 * <p>Deliveries pass a {@link RateLimiter} first (the page's Send API rate and a per-recipient
 * rate): when a limit is reached the delivery fails at once with a {@link
 * TransientDeliveryException} carrying the retry-after; nothing waits.
 *
 * <p>Capabilities: no end-to-end encryption (the business API hands plaintext to the business
 * endpoint), no disappearing timers, receipts and replies carried. The text limit leaves room for
 * the sender prefix (see {@link MessengerSender}). Instagram counts its limit in UTF-8 bytes: the
 * declared length is exact for ASCII, and a longer non-ASCII text is refused TOO_LONG at send.
 */
final class MessengerAdapter extends GraphAdapter<MessengerSender, MessengerSender.Prepared>
    implements StatusReceiver, EventSender, MediaSource {
  private final MessengerConfig config;

  MessengerAdapter(MessengerConfig config, AdapterContext context) {
    super(context, "messenger", config.graph(), "page", capabilities(config),
        Address.account(context.networkId(), config.pageId()));
    this.config = config;
  }

  private static Capabilities capabilities(MessengerConfig config) {
    return new Capabilities(
            Set.of(),
            config.platform().maxText() - MessengerSender.MAX_PREFIX,
            Level.REJECTED,
            // delivery events are watermarks, not per-message receipts: hand-over is delivery
            Level.DROPPED,
            Level.FULL)
        .withConversations(Set.of(ContentKind.MEDIA, ContentKind.REACTION), Set.of(EventKind.READ, EventKind.TYPING));
  }

  /** A read status for a message a person sent on this page: {@code mark_seen} in their thread. */
  @Override
  public CompletionStage<Void> reportStatus(StatusReport report) {
    if (report.status() != StatusReport.Status.READ || report.account() == null) {
      return CompletableFuture.completedFuture(null);
    }
    Optional<String> psid = MessengerSender.recipientId(report.account(), context.networkId());
    if (psid.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return action(psid.get(), "mark_seen", "read receipt");
  }

  @Override
  public CompletionStage<Void> typing(EventSender.TypingNotice notice) {
    Optional<String> psid = MessengerSender.recipientId(notice.recipient(), context.networkId());
    if (psid.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return action(psid.get(), notice.on() ? "typing_on" : "typing_off", "typing indicator");
  }

  private CompletionStage<Void> action(String psid, String action, String what) {
    return startedSender()
        .map(s -> (CompletionStage<Void>) s.senderAction(psid, action, what))
        .orElseGet(() -> CompletableFuture.failedFuture(notStarted()));
  }

  /**
   * An attachment URL is the platform's CDN URL, fetched as it is (no token needed); the node
   * streams it when the recipient asks, so it never has to outlive its signature here.
   */
  @Override
  public CompletionStage<MediaSource.MediaLocation> locate(String source) {
    try {
      return CompletableFuture.completedFuture(new MediaSource.MediaLocation(java.net.URI.create(source), java.util.Map.of(), null, null));
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(
          new io.parlor.spi.PermanentDeliveryException(io.parlor.spi.PermanentDeliveryException.Reason.CONTENT_REJECTED,
              "media lookup: not a URL"));
    }
  }

  @Override
  public <T> Optional<T> feature(Class<T> type) {
    return type == StatusReceiver.class || type == EventSender.class || type == MediaSource.class
        ? Optional.of(type.cast(this))
        : Optional.empty();
  }

  @Override
  protected MessengerSender newSender(HttpClient client) {
    return new MessengerSender(client, config, context.networkId(), context.clock());
  }

  @Override
  public List<HttpRoute> routes() {
    MessengerIngress ingress =
        new MessengerIngress(
            new HubSignature(config.graph().appSecret()),
            config.graph().verifyToken(),
            new MessengerNormalizer(context.networkId(), config.platform(), config.pageId()),
            context.inbound(),
            context.events(),
            context.networkId().value());
    return webhookRoutes(ingress::verify, ingress::receive);
  }
}
