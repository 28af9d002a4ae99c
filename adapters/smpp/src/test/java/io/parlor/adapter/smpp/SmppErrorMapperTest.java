package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.DeliveryException;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.TransientDeliveryException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One test per row of the table in {@link SmppErrorMapper}. */
class SmppErrorMapperTest {

  private static TransientDeliveryException transientFor(int status) {
    DeliveryException e = SmppErrorMapper.fromStatus(status, "delivery of m-1");
    assertTrue(e.getMessage().startsWith("delivery of m-1: SMSC answered "), e.getMessage());
    return assertInstanceOf(TransientDeliveryException.class, e);
  }

  private static Reason permanentFor(int status) {
    return assertInstanceOf(PermanentDeliveryException.class, SmppErrorMapper.fromStatus(status, "x")).reason();
  }

  @Test
  void throttledIsTransientWithRetryAfter() {
    TransientDeliveryException e = transientFor(0x58);
    assertEquals(Optional.of(Duration.ofSeconds(1)), e.retryAfter());
    assertTrue(e.getMessage().contains("ESME_RTHROTTLED (0x00000058)"));
    assertTrue(SmppErrorMapper.isThrottling(0x58));
  }

  @Test
  void messageQueueFullIsTransientWithLongerRetryAfter() {
    assertEquals(Optional.of(Duration.ofSeconds(5)), transientFor(0x14).retryAfter());
    assertTrue(SmppErrorMapper.isThrottling(0x14));
  }

  @Test
  void systemAndTemporaryErrorsAreTransient() {
    for (int status : new int[] {0x08, 0x45, 0x64, 0x04, 0xFE, 0xFF}) {
      assertTrue(transientFor(status).retryAfter().isEmpty(), "status " + status);
    }
  }

  @Test
  void invalidDestinationIsPermanentRecipientUnknown() {
    for (int status : new int[] {0x0B, 0x50, 0x51, 0x106}) {
      assertEquals(Reason.RECIPIENT_UNKNOWN, permanentFor(status), "status " + status);
    }
  }

  @Test
  void invalidMessageLengthIsPermanentTooLong() {
    assertEquals(Reason.TOO_LONG, permanentFor(0x01));
  }

  @Test
  void invalidDataCodingOrEsmClassIsPermanentUnsupported() {
    assertEquals(Reason.UNSUPPORTED, permanentFor(0x104));
    assertEquals(Reason.UNSUPPORTED, permanentFor(0x43));
  }

  @Test
  void credentialErrorsArePermanentAuth() {
    for (int status : new int[] {0x0E, 0x0F, 0x0D, 0x100}) {
      assertEquals(Reason.AUTH, permanentFor(status), "status " + status);
    }
    assertTrue(SmppErrorMapper.isAuthFailure(0x0E));
    assertTrue(SmppErrorMapper.isAuthFailure(0x0F));
    assertFalse(SmppErrorMapper.isAuthFailure(0x0D));
  }

  @Test
  void refusedSourceExpiryOrContentIsPermanentContentRejected() {
    for (int status : new int[] {0x0A, 0x48, 0x49, 0x62, 0x65, 0x66, 0x101}) {
      assertEquals(Reason.CONTENT_REJECTED, permanentFor(status), "status " + status);
    }
  }

  @Test
  void unknownStatusIsTransientAndNamesTheRawCode() {
    TransientDeliveryException e = transientFor(0x0400);
    assertTrue(e.getMessage().endsWith("0x00000400"), e.getMessage());
    assertTrue(e.retryAfter().isEmpty());
  }

  @Test
  void responseTimeoutIsTransient() {
    DeliveryException e = SmppErrorMapper.responseTimeout("delivery of m-1", Duration.ofSeconds(10));
    assertInstanceOf(TransientDeliveryException.class, e);
    assertTrue(e.getMessage().contains("no submit_sm_resp within PT10S"));
  }

  @Test
  void lostLinkIsTransient() {
    assertInstanceOf(TransientDeliveryException.class, SmppErrorMapper.linkLost("delivery of m-1"));
  }

  @Test
  void fullWindowIsTransientWithRetryAfter() {
    TransientDeliveryException e =
        assertInstanceOf(TransientDeliveryException.class, SmppErrorMapper.windowFull("delivery of m-1"));
    assertEquals(Optional.of(SmppErrorMapper.WINDOW_FULL_RETRY), e.retryAfter());
  }

  @Test
  void unexpectedFailureIsTransientWithCause() {
    IllegalStateException cause = new IllegalStateException("boom");
    DeliveryException e = SmppErrorMapper.unexpected("delivery of m-1", cause);
    assertInstanceOf(TransientDeliveryException.class, e);
    assertEquals(cause, e.getCause());
  }
}
