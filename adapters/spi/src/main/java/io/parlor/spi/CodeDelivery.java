package io.parlor.spi;

import io.parlor.spi.envelope.Address;
import java.time.Instant;
import java.util.concurrent.CompletionStage;

/**
 * Optional adapter feature: sends a sign-in or linking code in the form the platform requires for
 * a first contact (WhatsApp: an approved authentication template, since a person who never wrote
 * to the business number is outside the customer-service window). Without it the core sends the
 * code as a text message from {@code @parlor}. Obtained with {@link Adapter#feature(Class)}; must
 * not block.
 */
@Incubating
public interface CodeDelivery {

  /**
   * Sends {@code code} to {@code account} (an account of this network).
   *
   * @param idempotencyKey stable for this code
   * @return completes when the network took it, exceptionally with a {@link DeliveryException}
   */
  CompletionStage<DeliveryResult> deliverCode(Address account, String code, Instant expiresAt, String idempotencyKey);
}
