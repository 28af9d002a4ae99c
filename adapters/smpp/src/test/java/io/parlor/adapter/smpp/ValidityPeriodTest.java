package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ValidityPeriodTest {
  private final Instant now = Instant.parse("2026-11-29T10:00:00.250Z");

  @Test
  void relativeFormatRoundsDownToSeconds() throws Exception {
    assertEquals("000000010000000R", ValidityPeriod.relative(Duration.ofHours(1)));
    assertEquals("000001020304000R", ValidityPeriod.relative(Duration.parse("P1DT2H3M4.9S")));
    assertEquals("000000000001000R", ValidityPeriod.relative(Duration.ofMillis(1999)));
  }

  @Test
  void relativeFormatCapsAt99Days() {
    assertEquals("000099235959000R", ValidityPeriod.relative(Duration.ofDays(400)));
  }

  @Test
  void absoluteFormatIsUtcRoundedDown() {
    assertEquals("261129113005000+", ValidityPeriod.absolute(Instant.parse("2026-11-29T11:30:05.900Z")));
  }

  @Test
  void derivesFromExpiresAt() throws Exception {
    Instant expires = now.plus(Duration.ofMinutes(90));
    assertEquals("000000013000000R",
        ValidityPeriod.forExpiry(expires, now, SmppConfig.ValidityFormat.RELATIVE).orElseThrow());
    assertEquals("261129113000000+",
        ValidityPeriod.forExpiry(expires, now, SmppConfig.ValidityFormat.ABSOLUTE).orElseThrow());
  }

  @Test
  void relativeValidityNeverExceedsTheTimeLeft() throws Exception {
    Instant expires = now.plusMillis(59_999);
    assertEquals("000000000059000R",
        ValidityPeriod.forExpiry(expires, now, SmppConfig.ValidityFormat.RELATIVE).orElseThrow());
  }

  @Test
  void noExpiryMeansTheSmscDefault() throws Exception {
    assertTrue(ValidityPeriod.forExpiry(null, now, SmppConfig.ValidityFormat.RELATIVE).isEmpty());
  }

  @Test
  void expiredOrUnderASecondLeftIsRefused() {
    assertThrows(ValidityPeriod.ExpiredException.class,
        () -> ValidityPeriod.forExpiry(now.plusMillis(999), now, SmppConfig.ValidityFormat.RELATIVE));
    assertThrows(ValidityPeriod.ExpiredException.class,
        () -> ValidityPeriod.forExpiry(now.minusSeconds(1), now, SmppConfig.ValidityFormat.ABSOLUTE));
  }
}
