package io.parlor.adapter.webhook;

import io.parlor.spi.DeliveryException;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.TransientDeliveryException;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The one table from a network's HTTP answer to transient or permanent failure (contract 3.2):
 *
 * <table>
 *   <tr><th>answer</th><th>outcome</th></tr>
 *   <tr><td>2xx</td><td>delivered</td></tr>
 *   <tr><td>429, 5xx</td><td>transient, honouring {@code Retry-After}</td></tr>
 *   <tr><td>408</td><td>transient</td></tr>
 *   <tr><td>401, 403</td><td>permanent AUTH</td></tr>
 *   <tr><td>404, 410</td><td>permanent RECIPIENT_UNKNOWN</td></tr>
 *   <tr><td>413</td><td>permanent TOO_LONG</td></tr>
 *   <tr><td>other 4xx</td><td>permanent CONTENT_REJECTED</td></tr>
 *   <tr><td>1xx, 3xx</td><td>transient (unexpected)</td></tr>
 *   <tr><td>timeout, I/O error</td><td>transient</td></tr>
 * </table>
 */
final class WebhookErrorMapper {
  private WebhookErrorMapper() {}

  /** Empty for success, otherwise the exception describing the failure. */
  static Optional<DeliveryException> fromStatus(
      int status, String retryAfterHeader, String what, Clock clock) {
    if (status >= 200 && status < 300) {
      return Optional.empty();
    }
    String msg = what + ": network answered HTTP " + status;
    if (status == 429 || status >= 500 || status == 408) {
      return Optional.of(new TransientDeliveryException(msg, retryAfter(retryAfterHeader, clock), null));
    }
    if (status == 401 || status == 403) {
      return Optional.of(new PermanentDeliveryException(Reason.AUTH, msg));
    }
    if (status == 404 || status == 410) {
      return Optional.of(new PermanentDeliveryException(Reason.RECIPIENT_UNKNOWN, msg));
    }
    if (status == 413) {
      return Optional.of(new PermanentDeliveryException(Reason.TOO_LONG, msg));
    }
    if (status >= 400 && status < 500) {
      return Optional.of(new PermanentDeliveryException(Reason.CONTENT_REJECTED, msg));
    }
    return Optional.of(new TransientDeliveryException(msg + " (unexpected)"));
  }

  static DeliveryException fromThrowable(Throwable t, String what) {
    Throwable c = t;
    while (c.getCause() != null && !(c instanceof IOException)) {
      c = c.getCause();
    }
    if (c instanceof HttpTimeoutException) {
      return new TransientDeliveryException(what + ": request timed out", null, c);
    }
    return new TransientDeliveryException(
        what + ": " + c.getClass().getSimpleName(), null, c);
  }

  /** Parses {@code Retry-After} as seconds or an HTTP date; capped at one hour. */
  static Duration retryAfter(String header, Clock clock) {
    if (header == null || header.isBlank()) {
      return null;
    }
    Duration d;
    try {
      d = Duration.ofSeconds(Long.parseLong(header.trim()));
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
        d = Duration.between(clock.instant(), at.toInstant());
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
    if (d.isNegative()) {
      return Duration.ZERO;
    }
    return d.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : d;
  }
}
