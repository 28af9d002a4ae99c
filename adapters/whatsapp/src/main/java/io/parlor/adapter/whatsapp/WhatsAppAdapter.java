package io.parlor.adapter.whatsapp;

import io.parlor.adapter.meta.GraphAdapter;
import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.RateLimiter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.CodeDelivery;
import io.parlor.spi.EventSender;
import io.parlor.spi.MediaSource;
import io.parlor.spi.StatusReceiver;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.EventKind;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryResult;
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
 * One WhatsApp business number on the Cloud API. Thread-safe.
 *
 * <p>Lifecycle, health (CONNECTED, AUTH_FAILED until a send succeeds again), the HTTP client and
 * its executor are {@link GraphAdapter}'s.
 *
 * <p>Deliveries pass a {@link RateLimiter} first (the business number's throughput and the
 * per-recipient pair rate): when a limit is reached the delivery fails at once with a {@link
 * TransientDeliveryException} carrying the retry-after; nothing waits.
 *
 * <p>Capabilities: no end-to-end encryption (the business API hands plaintext to the business
 * endpoint), no disappearing timers, receipts and replies carried, media, reactions and locations
 * shown (edits and deletes are not: the Cloud API cannot edit or delete a sent message), read
 * receipts and typing taken. The text limit leaves room for the sender prefix (see {@link
 * WhatsAppSender}). Features: mark-as-read for read statuses ({@link StatusReceiver}), the
 * typing indicator ({@link EventSender}), media ids resolved through the Graph API ({@link
 * MediaSource}), one-time codes as the configured authentication template ({@link CodeDelivery}).
 */
final class WhatsAppAdapter extends GraphAdapter<WhatsAppSender, WhatsAppSender.Prepared>
    implements StatusReceiver, EventSender, MediaSource, CodeDelivery {
  private final WhatsAppConfig config;
  private final ServiceWindows windows;

  WhatsAppAdapter(WhatsAppConfig config, AdapterContext context) {
    super(context, "whatsapp", config.graph(), "business number", CAPABILITIES,
        Address.account(context.networkId(), config.phoneNumberId()));
    this.config = config;
    this.windows = new ServiceWindows(context.clock());
  }

  private static final Capabilities CAPABILITIES =
      new Capabilities(
              Set.of(),
              WhatsAppSender.PLATFORM_MAX_TEXT - WhatsAppSender.MAX_PREFIX,
              Level.REJECTED,
              Level.FULL,
              Level.FULL)
          .withConversations(
              Set.of(ContentKind.MEDIA, ContentKind.REACTION, ContentKind.LOCATION),
              Set.of(EventKind.READ, EventKind.TYPING));

  @Override
  protected WhatsAppSender newSender(HttpClient client) {
    return new WhatsAppSender(client, config, context.networkId(), context.clock(), windows);
  }

  /** A read status for a message a WhatsApp user sent: mark it read (blue ticks). */
  @Override
  public CompletionStage<Void> reportStatus(StatusReport report) {
    if (report.status() != StatusReport.Status.READ) {
      return CompletableFuture.completedFuture(null); // the platform shows nothing else of ours
    }
    return startedSender()
        .map(s -> (CompletionStage<Void>) s.markRead(report.id().value(), false, "read receipt"))
        .orElseGet(() -> CompletableFuture.failedFuture(notStarted()));
  }

  /**
   * The typing indicator, anchored to the person's latest message — which it also marks read, so
   * only when the typist allows read receipts. Stopping needs nothing: WhatsApp hides it when the
   * message comes, or after 25 seconds.
   */
  @Override
  public CompletionStage<Void> typing(EventSender.TypingNotice notice) {
    if (!notice.on() || !notice.alsoRead() || notice.lastReceived() == null) {
      return CompletableFuture.completedFuture(null);
    }
    return startedSender()
        .map(s -> (CompletionStage<Void>) s.markRead(notice.lastReceived().value(), true, "typing indicator"))
        .orElseGet(() -> CompletableFuture.failedFuture(notStarted()));
  }

  @Override
  public CompletionStage<MediaSource.MediaLocation> locate(String source) {
    return startedSender()
        .map(s -> (CompletionStage<MediaSource.MediaLocation>) s.locate(source))
        .orElseGet(() -> CompletableFuture.failedFuture(notStarted()));
  }

  @Override
  public CompletionStage<DeliveryResult> deliverCode(
      Address account, String code, java.time.Instant expiresAt, String idempotencyKey) {
    Optional<WhatsAppSender> s = startedSender();
    if (s.isEmpty()) {
      return CompletableFuture.failedFuture(notStarted());
    }
    try {
      return s.get().sendCode(account, code, "one-time code");
    } catch (PermanentDeliveryException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public <T> Optional<T> feature(Class<T> type) {
    if (type == StatusReceiver.class || type == EventSender.class || type == MediaSource.class
        || (type == CodeDelivery.class && config.codeTemplate().isPresent())) {
      return Optional.of(type.cast(this));
    }
    return Optional.empty();
  }

  @Override
  public List<HttpRoute> routes() {
    WhatsAppIngress ingress =
        new WhatsAppIngress(
            new HubSignature(config.graph().appSecret()),
            config.graph().verifyToken(),
            new WhatsAppNormalizer(context.networkId(), config.phoneNumberId()),
            context.inbound(),
            context.networkId().value(),
            context.receipts(),
            context.events(),
            windows::heard);
    return webhookRoutes(ingress::verify, ingress::receive);
  }
}
