package io.parlor.adapter.meta;

import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Envelope;

/**
 * Who a message is from, as a single-identity network (a business number, a page) shows it: every
 * message comes from the same identity, so the text (or caption) starts with the sender as the
 * core presents them — a relay handle or public handle, after the display name they chose:
 * {@code "~k3j9x2m4pq: "} or {@code "Bob B. (@bob): "}, after the group's name in a group
 * ({@code "[Climbing] @bob: "}). An account address (possibly a phone number of another network)
 * is never shown. Stateless, thread-safe.
 */
public final class SenderLabel {
  /**
   * Longest label with its separator: "[", a 64-character group name, "] ", a 64-character name,
   * " (", a 33-character handle, "): ".
   */
  public static final int MAX_PREFIX = 1 + 64 + 2 + 64 + 2 + 33 + 3;

  private SenderLabel() {}

  /**
   * The label of {@code envelope}'s sender, e.g. {@code "Bob B. (@bob)"}.
   *
   * @throws PermanentDeliveryException when the sender is an account address
   */
  public static String of(Envelope envelope, String what) throws PermanentDeliveryException {
    Address from = envelope.from();
    if (from.kind() == Address.Kind.ACCOUNT) {
      throw new PermanentDeliveryException(
          Reason.UNSUPPORTED, what + ": sender must be presented as a ~relay or @handle, not an account");
    }
    String label = envelope.fromName() == null ? from.value() : envelope.fromName() + " (" + from.value() + ")";
    return envelope.group() == null ? label : envelope.group().label(label);
  }

  /** {@code "<label>: <text>"}. */
  public static String prefixed(Envelope envelope, String text, String what) throws PermanentDeliveryException {
    return of(envelope, what) + ": " + text;
  }
}
