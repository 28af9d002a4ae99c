package io.parlor.adapter.whatsapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.meta.GraphErrors;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.DeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.TransientDeliveryException;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One case per row of {@link WhatsAppErrorMapper}'s table. */
class WhatsAppErrorMapperTest {
  private static final String WHAT = "delivery of g-1";

  @ParameterizedTest(name = "HTTP {0}, code {1} → transient")
  @CsvSource({
    "500, 1", "503, 2", "500, 131000", "503, 131016", "503, 133004", "400, 131057",
    "400, 4", "400, 17", "400, 32", "400, 613", "400, 80007", "400, 130429", "400, 131048",
  })
  void transientRows(int http, int code) {
    DeliveryException e = WhatsAppErrorMapper.fromGraphError(http, code, null, WHAT);
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class, e);
    assertTrue(t.getMessage().contains("error code " + code), t.getMessage());
    assertTrue(t.getMessage().startsWith(WHAT));
    assertFalse(GraphErrors.isAuthFailure(e));
  }

  @Test
  void rateLimitCarriesRetryAfterHeader() {
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        WhatsAppErrorMapper.fromGraphError(429, 130429, Duration.ofSeconds(3), WHAT));
    assertEquals(Duration.ofSeconds(3), t.retryAfter().orElseThrow());
  }

  @Test
  void pairRateLimitDefaultsToSixSeconds() {
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        WhatsAppErrorMapper.fromGraphError(400, 131056, null, WHAT));
    assertEquals(Duration.ofSeconds(6), t.retryAfter().orElseThrow());
    TransientDeliveryException h = assertInstanceOf(TransientDeliveryException.class,
        WhatsAppErrorMapper.fromGraphError(400, 131056, Duration.ofSeconds(9), WHAT));
    assertEquals(Duration.ofSeconds(9), h.retryAfter().orElseThrow());
  }

  @ParameterizedTest(name = "HTTP {0}, code {1} → permanent {2}")
  @CsvSource({
    "400, 131026, RECIPIENT_UNKNOWN",
    "400, 131021, RECIPIENT_UNKNOWN",
    "400, 131030, RECIPIENT_UNKNOWN",
    "400, 131047, WINDOW_CLOSED",
    "400, 131051, UNSUPPORTED",
    "400, 100, CONTENT_REJECTED",
    "400, 131008, CONTENT_REJECTED",
    "400, 131009, CONTENT_REJECTED",
    "401, 190, AUTH",
    "401, 0, AUTH",
    "403, 3, AUTH",
    "403, 10, AUTH",
    "403, 200, AUTH",
    "403, 299, AUTH",
    // The code decides, not the HTTP status: 190 under a 500 is still a bad token.
    "500, 190, AUTH",
  })
  void permanentRows(int http, int code, Reason reason) {
    DeliveryException e = WhatsAppErrorMapper.fromGraphError(http, code, null, WHAT);
    PermanentDeliveryException p = assertInstanceOf(PermanentDeliveryException.class, e);
    assertEquals(reason, p.reason());
    assertTrue(p.getMessage().contains("error code " + code), p.getMessage());
    assertEquals(reason == Reason.AUTH, GraphErrors.isAuthFailure(e));
  }

  @ParameterizedTest(name = "HTTP {0} without a Graph code → transient")
  @CsvSource({"500", "502", "503", "504", "429", "408"})
  void httpStatusRowsTransient(int http) {
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        WhatsAppErrorMapper.fromGraphError(http, null, Duration.ofSeconds(2), WHAT));
    assertEquals(Duration.ofSeconds(2), t.retryAfter().orElseThrow());
  }

  @ParameterizedTest(name = "HTTP {0} without a Graph code → AUTH")
  @CsvSource({"401", "403"})
  void httpStatusRowsAuth(int http) {
    PermanentDeliveryException p = assertInstanceOf(PermanentDeliveryException.class,
        WhatsAppErrorMapper.fromGraphError(http, null, null, WHAT));
    assertEquals(Reason.AUTH, p.reason());
  }

  @ParameterizedTest(name = "unknown: HTTP {0}, code {1} → transient")
  @CsvSource({"400, 999999", "404, ", "400, 130472", "302, "})
  void unknownIsTransient(int http, Integer code) {
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        WhatsAppErrorMapper.fromGraphError(http, code, null, WHAT));
    assertTrue(t.getMessage().contains("unknown"), t.getMessage());
  }

  @Test
  void timeoutsAndIoErrorsAreTransient() {
    DeliveryException timeout = GraphErrors.fromThrowable(
        new CompletionException(new HttpTimeoutException("request timed out")), WHAT, "Graph API");
    assertInstanceOf(TransientDeliveryException.class, timeout);
    assertTrue(timeout.getMessage().contains("timed out"));
    DeliveryException io = GraphErrors.fromThrowable(new IOException("connection reset"), WHAT, "Graph API");
    assertInstanceOf(TransientDeliveryException.class, io);
  }

  @Test
  void retryAfterHeaderParsing() {
    var clock = new MetaTestSupport.FakeClock(Instant.parse("2026-11-29T10:00:00Z"));
    assertNull(GraphErrors.retryAfter(null, clock));
    assertNull(GraphErrors.retryAfter("soon", clock));
    assertEquals(Duration.ofSeconds(30), GraphErrors.retryAfter("30", clock));
    assertEquals(Duration.ofSeconds(90), GraphErrors.retryAfter("Sun, 29 Nov 2026 10:01:30 GMT", clock));
    assertEquals(Duration.ZERO, GraphErrors.retryAfter("Sun, 29 Nov 2026 09:00:00 GMT", clock));
    assertEquals(Duration.ofHours(1), GraphErrors.retryAfter("86400", clock));
  }
}
