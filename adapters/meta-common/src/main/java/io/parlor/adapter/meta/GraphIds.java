package io.parlor.adapter.meta;

import io.parlor.spi.envelope.MessageId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** Envelope ids for Graph platform message ids. Stateless, thread-safe. */
public final class GraphIds {
  private GraphIds() {}

  /**
   * The envelope id for a platform message id. Ids that are valid {@link MessageId}s are kept as
   * they are; longer ones (Meta ids, e.g. Instagram mids, can exceed 128 characters) become {@code
   * sha256:<base64url>} of the id, stable across redeliveries. Delivery results and statuses use
   * the same form so that replies and receipts correlate.
   *
   * @throws IllegalArgumentException when the id is null or empty
   */
  public static MessageId messageId(String platformId) {
    if (platformId == null || platformId.isEmpty()) {
      throw new IllegalArgumentException("message id missing");
    }
    try {
      return MessageId.of(platformId);
    } catch (IllegalArgumentException tooLongOrNotPrintable) {
      return MessageId.of("sha256:" + Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(platformId)));
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
