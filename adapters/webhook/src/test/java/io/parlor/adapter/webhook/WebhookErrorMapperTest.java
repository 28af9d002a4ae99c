package io.parlor.adapter.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.DeliveryException;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.TransientDeliveryException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** One test per row of the table in {@link WebhookErrorMapper}. */
class WebhookErrorMapperTest {
  private final Clock clock = Clock.fixed(Instant.parse("2026-11-29T10:00:00Z"), ZoneOffset.UTC);

  @ParameterizedTest(name = "HTTP {0} -> {1}")
  @CsvSource({
    "200, OK", "202, OK", "204, OK",
    "429, TRANSIENT", "500, TRANSIENT", "502, TRANSIENT", "503, TRANSIENT", "408, TRANSIENT",
    "401, AUTH", "403, AUTH",
    "404, RECIPIENT_UNKNOWN", "410, RECIPIENT_UNKNOWN",
    "413, TOO_LONG",
    "400, CONTENT_REJECTED", "422, CONTENT_REJECTED",
    "302, TRANSIENT", "101, TRANSIENT",
  })
  void mapsStatus(int status, String expected) {
    var r = WebhookErrorMapper.fromStatus(status, null, "delivery of g-1", clock);
    if (expected.equals("OK")) {
      assertTrue(r.isEmpty());
      return;
    }
    DeliveryException e = r.orElseThrow();
    if (expected.equals("TRANSIENT")) {
      assertInstanceOf(TransientDeliveryException.class, e);
    } else {
      assertEquals(expected, ((PermanentDeliveryException) e).reason().name());
    }
    assertTrue(e.getMessage().contains(Integer.toString(status)), "message carries the raw code");
  }

  @Test
  void honoursRetryAfterSecondsAndDate() {
    var e = (TransientDeliveryException) WebhookErrorMapper.fromStatus(429, "7", "x", clock).orElseThrow();
    assertEquals(Duration.ofSeconds(7), e.retryAfter().orElseThrow());
    e = (TransientDeliveryException) WebhookErrorMapper.fromStatus(503, "Sun, 29 Nov 2026 10:00:30 GMT", "x", clock).orElseThrow();
    assertEquals(Duration.ofSeconds(30), e.retryAfter().orElseThrow());
    e = (TransientDeliveryException) WebhookErrorMapper.fromStatus(503, "99999", "x", clock).orElseThrow();
    assertEquals(Duration.ofHours(1), e.retryAfter().orElseThrow(), "capped");
    e = (TransientDeliveryException) WebhookErrorMapper.fromStatus(503, "soon", "x", clock).orElseThrow();
    assertTrue(e.retryAfter().isEmpty());
  }

  @Test
  void timeoutsAndIoErrorsAreTransient() {
    assertInstanceOf(TransientDeliveryException.class,
        WebhookErrorMapper.fromThrowable(new HttpTimeoutException("t"), "x"));
    assertInstanceOf(TransientDeliveryException.class,
        WebhookErrorMapper.fromThrowable(new java.util.concurrent.CompletionException(new ConnectException("refused")), "x"));
  }
}
