package io.parlor.adapter.messenger;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** One case per row of {@link MessengerErrorMapper}'s table. */
class MessengerErrorMapperTest {
  private static final String WHAT = "delivery of g-1";

  @ParameterizedTest(name = "HTTP {0}, code {1}/{2} → permanent {3}")
  @CsvSource({
    "400, 10, 2018278, WINDOW_CLOSED",
    "400, 10, 2018065, WINDOW_CLOSED",
    "403, 10, 2534022, WINDOW_CLOSED",
    "400, 10, , UNSUPPORTED",
    "400, 551, 1545041, RECIPIENT_UNKNOWN",
    "400, 551, , RECIPIENT_UNKNOWN",
    "400, 200, 1545041, RECIPIENT_UNKNOWN",
    "400, 10, 2018108, RECIPIENT_UNKNOWN",
    "400, 100, 2018001, RECIPIENT_UNKNOWN",
    "400, 100, , CONTENT_REJECTED",
    "400, 100, 2018109, CONTENT_REJECTED",
    "401, 190, 463, AUTH",
    "400, 0, , AUTH",
    "403, 3, , AUTH",
    "403, 230, , AUTH",
    "403, 200, 2018028, AUTH",
  })
  void permanentRows(int http, int code, Integer subcode, Reason reason) {
    DeliveryException e = MessengerErrorMapper.fromGraphError(http, code, subcode, null, WHAT);
    PermanentDeliveryException p = assertInstanceOf(PermanentDeliveryException.class, e);
    assertEquals(reason, p.reason());
    assertTrue(p.getMessage().startsWith(WHAT));
    assertTrue(p.getMessage().contains("error code " + code), p.getMessage());
    assertEquals(reason == Reason.AUTH, GraphErrors.isAuthFailure(e));
  }

  @ParameterizedTest(name = "HTTP {0}, code {1} → transient")
  @CsvSource({"500, 1, ", "500, 2, ", "500, 1200, ", "400, 4, ", "400, 17, ", "400, 32, ", "400, 613, ", "400, 4, 2018022"})
  void transientRows(int http, int code, Integer subcode) {
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        MessengerErrorMapper.fromGraphError(http, code, subcode, Duration.ofSeconds(4), WHAT));
    assertEquals(Duration.ofSeconds(4), t.retryAfter().orElseThrow());
  }

  @ParameterizedTest(name = "HTTP {0} without a Graph code → transient")
  @CsvSource({"500", "502", "503", "504", "429", "408"})
  void httpStatusRowsTransient(int http) {
    assertInstanceOf(TransientDeliveryException.class, MessengerErrorMapper.fromGraphError(http, null, null, null, WHAT));
  }

  @ParameterizedTest(name = "HTTP {0} without a Graph code → AUTH")
  @CsvSource({"401", "403"})
  void httpStatusRowsAuth(int http) {
    assertEquals(Reason.AUTH, assertInstanceOf(PermanentDeliveryException.class,
        MessengerErrorMapper.fromGraphError(http, null, null, null, WHAT)).reason());
  }

  @ParameterizedTest(name = "unknown: HTTP {0}, code {1} → transient")
  @CsvSource({"400, 999999", "404, ", "400, 131026"})
  void unknownIsTransient(int http, Integer code) {
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class,
        MessengerErrorMapper.fromGraphError(http, code, null, null, WHAT));
    assertTrue(t.getMessage().contains("unknown"), t.getMessage());
  }

  @Test
  void timeoutsAndIoErrorsAreTransient() {
    DeliveryException timeout = GraphErrors.fromThrowable(
        new CompletionException(new HttpTimeoutException("request timed out")), WHAT, "Send API");
    assertInstanceOf(TransientDeliveryException.class, timeout);
    assertTrue(timeout.getMessage().contains("timed out"));
    assertInstanceOf(TransientDeliveryException.class, GraphErrors.fromThrowable(new IOException("x"), WHAT, "Send API"));
  }

  @Test
  void retryAfterHeaderParsing() {
    var clock = new MetaTestSupport.FakeClock(Instant.parse("2026-11-29T10:00:00Z"));
    assertNull(GraphErrors.retryAfter("", clock));
    assertEquals(Duration.ofSeconds(5), GraphErrors.retryAfter(" 5 ", clock));
    assertEquals(Duration.ofSeconds(90), GraphErrors.retryAfter("Sun, 29 Nov 2026 10:01:30 GMT", clock));
  }
}
