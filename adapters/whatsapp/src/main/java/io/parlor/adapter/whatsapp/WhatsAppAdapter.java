package io.parlor.adapter.whatsapp;

import io.parlor.adapter.meta.GraphAdapter;
import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.RateLimiter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.Level;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.SenderPresentation;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Envelope;
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
 * endpoint), no disappearing timers, receipts and replies carried. The text limit leaves room for
 * the sender prefix (see {@link WhatsAppSender}).
 */
final class WhatsAppAdapter extends GraphAdapter<WhatsAppSender, WhatsAppSender.Prepared> {
  private final WhatsAppConfig config;
  private final Capabilities capabilities;
  private final Address self;

  WhatsAppAdapter(WhatsAppConfig config, AdapterContext context) {
    super(
        context,
        "whatsapp",
        config.requestTimeout(),
        new RateLimiter(
            RateLimiter.Limit.perSecond(config.rateLimitPerSecond()),
            new RateLimiter.Limit(config.pairBurst(), config.pairInterval()),
            context.clock()),
        "business number");
    this.config = config;
    this.self = Address.account(context.networkId(), config.phoneNumberId());
    this.capabilities =
        new Capabilities(
            Set.of(),
            WhatsAppSender.PLATFORM_MAX_TEXT - WhatsAppSender.MAX_PREFIX,
            Level.REJECTED,
            Level.FULL,
            Level.FULL);
  }

  @Override
  protected WhatsAppSender newSender(HttpClient client) {
    return new WhatsAppSender(client, config, context.networkId(), context.clock());
  }

  @Override
  protected WhatsAppSender.Prepared prepare(WhatsAppSender sender, Envelope envelope, DeliveryTarget target)
      throws PermanentDeliveryException {
    return sender.prepare(envelope, target);
  }

  @Override
  protected String recipientKey(WhatsAppSender.Prepared prepared) {
    return prepared.recipientDigits();
  }

  @Override
  protected String what(WhatsAppSender.Prepared prepared) {
    return prepared.what();
  }

  @Override
  protected CompletableFuture<DeliveryResult> send(WhatsAppSender sender, WhatsAppSender.Prepared prepared) {
    return sender.send(prepared);
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public SenderPresentation senderPresentation() {
    return new SenderPresentation.SingleIdentity(self);
  }

  @Override
  public List<HttpRoute> routes() {
    WhatsAppIngress ingress =
        new WhatsAppIngress(
            new HubSignature(config.appSecret()),
            config.verifyToken(),
            new WhatsAppNormalizer(context.networkId(), config.phoneNumberId()),
            context.inbound(),
            context.networkId().value(),
            context.receipts());
    String path = "/webhooks/" + context.networkId();
    return List.of(new HttpRoute("GET", path, ingress::verify), new HttpRoute("POST", path, ingress::receive));
  }
}
