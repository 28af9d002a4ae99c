package io.parlor.adapter.messenger;

import io.parlor.spi.DeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.TransientDeliveryException;
import java.time.Duration;
import java.util.Set;

/**
 * The one table from a failed Send API call to transient or permanent failure. Subcode rows win
 * over code rows, the Graph code over the HTTP status. Retry-after comes from the {@code
 * Retry-After} header when sent.
 *
 * <table>
 *   <tr><th>Graph code / subcode</th><th>meaning</th><th>outcome</th></tr>
 *   <tr><td>any / 2018278, 2018065, 2534022</td><td>sent outside the allowed messaging window (Messenger, Instagram)</td><td>permanent WINDOW_CLOSED</td></tr>
 *   <tr><td>any / 1545041</td><td>this person isn't available right now</td><td>permanent RECIPIENT_UNKNOWN</td></tr>
 *   <tr><td>any / 2018108</td><td>this person isn't receiving messages from you right now</td><td>permanent RECIPIENT_UNKNOWN</td></tr>
 *   <tr><td>any / 2018001</td><td>no matching user found</td><td>permanent RECIPIENT_UNKNOWN</td></tr>
 *   <tr><td>1, 2, 1200</td><td>unknown / unexpected error / temporary send failure</td><td>transient</td></tr>
 *   <tr><td>4, 17, 32, 613</td><td>Graph / page rate limits</td><td>transient</td></tr>
 *   <tr><td>551</td><td>user unavailable</td><td>permanent RECIPIENT_UNKNOWN</td></tr>
 *   <tr><td>10</td><td>outside the allowed window / not permitted for this message</td><td>permanent UNSUPPORTED</td></tr>
 *   <tr><td>100</td><td>invalid parameter</td><td>permanent CONTENT_REJECTED</td></tr>
 *   <tr><td>0, 190</td><td>access token invalid or expired</td><td>permanent AUTH (health AUTH_FAILED)</td></tr>
 *   <tr><td>3, 200-299</td><td>permission missing (e.g. 230 pages_messaging)</td><td>permanent AUTH (health AUTH_FAILED)</td></tr>
 *   <tr><th>no code in the table</th><th></th><th></th></tr>
 *   <tr><td>HTTP 429, 408, 5xx</td><td></td><td>transient</td></tr>
 *   <tr><td>HTTP 401, 403</td><td></td><td>permanent AUTH (health AUTH_FAILED)</td></tr>
 *   <tr><td>anything else</td><td>unknown</td><td>transient</td></tr>
 *   <tr><td>timeout, I/O error</td><td></td><td>transient</td></tr>
 * </table>
 *
 * <p>Messages name what failed, the HTTP status and the Graph code and subcode only: never the
 * token, the recipient or Graph's free-text message.
 */
final class MessengerErrorMapper {
  private static final Set<Integer> WINDOW_SUBCODES = Set.of(2018278, 2018065, 2534022);
  private static final Set<Integer> RECIPIENT_SUBCODES = Set.of(1545041, 2018108, 2018001);
  private static final Set<Integer> TRANSIENT = Set.of(1, 2, 1200);
  private static final Set<Integer> RATE_LIMITS = Set.of(4, 17, 32, 613);
  private static final Set<Integer> AUTH = Set.of(0, 190, 3);

  private MessengerErrorMapper() {}

  /**
   * Maps a non-2xx answer.
   *
   * @param httpStatus the HTTP status
   * @param graphCode {@code error.code}, or null when the body had none
   * @param subcode {@code error.error_subcode}, or null
   * @param retryAfter the parsed {@code Retry-After} header, or null
   * @param what what failed, e.g. {@code "delivery of <gateway id>"}
   */
  static DeliveryException fromGraphError(
      int httpStatus, Integer graphCode, Integer subcode, Duration retryAfter, String what) {
    String msg = what + ": Send API answered HTTP " + httpStatus
        + (graphCode == null ? "" : ", error code " + graphCode)
        + (subcode == null ? "" : ", subcode " + subcode);
    if (subcode != null && WINDOW_SUBCODES.contains(subcode)) {
      return new PermanentDeliveryException(Reason.WINDOW_CLOSED, msg + " (outside the messaging window)");
    }
    if (subcode != null && RECIPIENT_SUBCODES.contains(subcode)) {
      return new PermanentDeliveryException(Reason.RECIPIENT_UNKNOWN, msg);
    }
    if (graphCode != null) {
      int c = graphCode;
      if (TRANSIENT.contains(c)) {
        return new TransientDeliveryException(msg, retryAfter, null);
      }
      if (RATE_LIMITS.contains(c)) {
        return new TransientDeliveryException(msg + " (rate limited)", retryAfter, null);
      }
      if (c == 551) {
        return new PermanentDeliveryException(Reason.RECIPIENT_UNKNOWN, msg);
      }
      if (c == 10) {
        return new PermanentDeliveryException(Reason.UNSUPPORTED, msg + " (outside the messaging window)");
      }
      if (c == 100) {
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
