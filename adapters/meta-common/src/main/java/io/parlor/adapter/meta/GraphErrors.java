package io.parlor.adapter.meta;

import io.parlor.spi.DeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.TransientDeliveryException;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * The parts of Graph API failure handling that do not depend on the network: auth failures,
 * requests without an answer, and {@code Retry-After}. The tables from Graph error codes to
 * outcomes stay in each adapter. Stateless, thread-safe.
 */
public final class GraphErrors {
  private GraphErrors() {}

  /** Whether {@code e} means this network's credentials no longer work (health AUTH_FAILED). */
  public static boolean isAuthFailure(DeliveryException e) {
    return e instanceof PermanentDeliveryException
        && ((PermanentDeliveryException) e).reason() == Reason.AUTH;
  }

  /**
   * A request that got no HTTP answer: timeout or I/O error, always transient.
   *
   * @param api how the message names the API on timeout ("Graph API", "Send API")
   */
  public static DeliveryException fromThrowable(Throwable t, String what, String api) {
    Throwable c = t;
    while (c.getCause() != null && !(c instanceof IOException)) {
      c = c.getCause();
    }
    if (c instanceof HttpTimeoutException) {
      return new TransientDeliveryException(what + ": " + api + " request timed out", null, c);
    }
    return new TransientDeliveryException(what + ": " + c.getClass().getSimpleName(), null, c);
  }

  /** Parses {@code Retry-After} as seconds or an HTTP date; null when absent; capped at one hour. */
  public static Duration retryAfter(String header, Clock clock) {
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

  /**
   * POSTs a JSON body to a Graph endpoint with the bearer token and completes with {@code
   * success(body)} for a 2xx answer, {@code failure(response)} for any other, and a transient
   * error for timeouts and I/O failures. Never blocks; the stage completes on the client's
   * executor.
   */
  public static java.util.concurrent.CompletableFuture<io.parlor.spi.DeliveryResult> post(
      java.net.http.HttpClient client,
      java.net.http.HttpRequest request,
      String what,
      String api,
      java.util.function.Function<byte[], io.parlor.spi.DeliveryResult> success,
      java.util.function.Function<java.net.http.HttpResponse<byte[]>, DeliveryException> failure) {
    java.util.concurrent.CompletableFuture<io.parlor.spi.DeliveryResult> out =
        new java.util.concurrent.CompletableFuture<>();
    client
        .sendAsync(request, java.net.http.HttpResponse.BodyHandlers.ofByteArray())
        .whenComplete(
            (resp, err) -> {
              if (err != null) {
                out.completeExceptionally(fromThrowable(err, what, api));
              } else if (resp.statusCode() >= 200 && resp.statusCode() < 300) {
                out.complete(success.apply(resp.body()));
              } else {
                out.completeExceptionally(failure.apply(resp));
              }
            });
    return out;
  }
}
