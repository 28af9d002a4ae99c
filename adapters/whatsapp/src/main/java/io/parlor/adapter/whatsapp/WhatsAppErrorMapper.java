package io.parlor.adapter.whatsapp;

import io.parlor.spi.DeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.TransientDeliveryException;
import java.time.Duration;
import java.util.Set;

/**
 * The one table from a failed Graph API send to transient or permanent failure. The Graph {@code
 * error.code} decides; the HTTP status only when there is no code in the table. Retry-after comes
 * from the {@code Retry-After} header when sent, else from the row.
 *
 * <table>
 *   <tr><th>Graph code</th><th>meaning</th><th>outcome</th></tr>
 *   <tr><td>1, 2, 131000</td><td>unknown / service / something went wrong</td><td>transient</td></tr>
 *   <tr><td>131016, 133004</td><td>service temporarily unavailable</td><td>transient</td></tr>
 *   <tr><td>131057</td><td>account in maintenance mode (throughput upgrade)</td><td>transient</td></tr>
 *   <tr><td>4, 17, 32, 613, 80007</td><td>Graph / WABA API rate limits</td><td>transient</td></tr>
 *   <tr><td>130429</td><td>throughput of the business number exceeded</td><td>transient</td></tr>
 *   <tr><td>131048</td><td>spam rate limit</td><td>transient</td></tr>
 *   <tr><td>131056</td><td>pair rate limit (same recipient too often)</td><td>transient, retry after 6 s</td></tr>
 *   <tr><td>131026</td><td>message undeliverable (not on WhatsApp, old app, terms)</td><td>permanent RECIPIENT_UNKNOWN</td></tr>
 *   <tr><td>131021</td><td>recipient is the sender itself</td><td>permanent RECIPIENT_UNKNOWN</td></tr>
 *   <tr><td>131030</td><td>recipient not in the test number's allowed list</td><td>permanent RECIPIENT_UNKNOWN</td></tr>
 *   <tr><td>131047</td><td>re-engagement: 24 h customer service window closed (needs a template)</td><td>permanent WINDOW_CLOSED</td></tr>
 *   <tr><td>131051</td><td>unsupported message type</td><td>permanent UNSUPPORTED</td></tr>
 *   <tr><td>100, 131008, 131009</td><td>invalid / missing parameter</td><td>permanent CONTENT_REJECTED</td></tr>
 *   <tr><td>0, 190</td><td>access token invalid or expired</td><td>permanent AUTH (health AUTH_FAILED)</td></tr>
 *   <tr><td>3, 10, 200-299</td><td>permission missing</td><td>permanent AUTH (health AUTH_FAILED)</td></tr>
 *   <tr><th>no code in the table</th><th></th><th></th></tr>
 *   <tr><td>HTTP 429, 408, 5xx</td><td></td><td>transient</td></tr>
 *   <tr><td>HTTP 401, 403</td><td></td><td>permanent AUTH (health AUTH_FAILED)</td></tr>
 *   <tr><td>anything else</td><td>unknown</td><td>transient</td></tr>
 *   <tr><td>timeout, I/O error</td><td></td><td>transient</td></tr>
 * </table>
 *
 * <p>Messages name what failed, the HTTP status and the Graph code only: never the token, the
 * recipient or Graph's free-text message (it may echo parameters).
 */
final class WhatsAppErrorMapper {
  /** WhatsApp's pair rate: one message every 6 s to the same user. */
  static final Duration PAIR_RATE_RETRY_AFTER = Duration.ofSeconds(6);

  private static final Set<Integer> TRANSIENT = Set.of(1, 2, 131000, 131016, 133004, 131057);
  private static final Set<Integer> RATE_LIMITS = Set.of(4, 17, 32, 613, 80007, 130429, 131048);
  private static final Set<Integer> RECIPIENT_UNKNOWN = Set.of(131026, 131021, 131030);
  private static final Set<Integer> UNSUPPORTED = Set.of(131051);
  private static final Set<Integer> CONTENT_REJECTED = Set.of(100, 131008, 131009);
  private static final Set<Integer> AUTH = Set.of(0, 190, 3, 10);

  private WhatsAppErrorMapper() {}

  /**
   * Maps a non-2xx answer.
   *
   * @param httpStatus the HTTP status
   * @param graphCode {@code error.code} of the body, or null when the body had none
   * @param retryAfter the parsed {@code Retry-After} header, or null
   * @param what what failed, e.g. {@code "delivery of <gateway id>"}
   */
  static DeliveryException fromGraphError(int httpStatus, Integer graphCode, Duration retryAfter, String what) {
    String msg = what + ": Graph API answered HTTP " + httpStatus
        + (graphCode == null ? "" : ", error code " + graphCode);
    if (graphCode != null) {
      int c = graphCode;
      if (TRANSIENT.contains(c)) {
        return new TransientDeliveryException(msg, retryAfter, null);
      }
      if (RATE_LIMITS.contains(c)) {
        return new TransientDeliveryException(msg + " (rate limited)", retryAfter, null);
      }
      if (c == 131056) {
        return new TransientDeliveryException(
            msg + " (pair rate limit)", retryAfter != null ? retryAfter : PAIR_RATE_RETRY_AFTER, null);
      }
      if (c == WhatsAppSender.REENGAGEMENT) {
        return new PermanentDeliveryException(Reason.WINDOW_CLOSED, msg + " (customer-service window closed)");
      }
      if (RECIPIENT_UNKNOWN.contains(c)) {
        return new PermanentDeliveryException(Reason.RECIPIENT_UNKNOWN, msg);
      }
      if (UNSUPPORTED.contains(c)) {
        return new PermanentDeliveryException(Reason.UNSUPPORTED, msg);
      }
      if (CONTENT_REJECTED.contains(c)) {
        return new PermanentDeliveryException(Reason.CONTENT_REJECTED, msg);
      }
      if (AUTH.contains(c) || (c >= 200 && c <= 299)) {
        return new PermanentDeliveryException(Reason.AUTH, msg);
      }
    }
    if (httpStatus == 401 || httpStatus == 403) {
      return new PermanentDeliveryException(Reason.AUTH, msg);
    }
    if (httpStatus == 429 || httpStatus == 408 || httpStatus >= 500) {
      return new TransientDeliveryException(msg, retryAfter, null);
    }
    return new TransientDeliveryException(msg + " (unknown error)", retryAfter, null);
  }
}
