package io.parlor.adapter.smpp;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * SMPP 3.4 time format (section 7.1.1) for {@code validity_period}, derived from an envelope's
 * {@code expiresAt} so that an SMSC never holds a message longer than its timer allows. Both forms
 * round down to whole seconds. Stateless and thread-safe.
 *
 * <ul>
 *   <li>relative {@code YYMMDDhhmmss000R}: counted from when the SMSC receives the PDU, immune to
 *       clock differences; capped at 99 days 23:59:59 (capping only shortens);
 *   <li>absolute {@code YYMMDDhhmmss000+} in UTC ({@code nn} = 00 quarter hours from UTC).
 * </ul>
 */
final class ValidityPeriod {
  private static final DateTimeFormatter ABSOLUTE =
      DateTimeFormatter.ofPattern("yyMMddHHmmss").withZone(ZoneOffset.UTC);
  private static final long MAX_RELATIVE_SECONDS = 99L * 86_400 + 86_399;

  /** The message's expiry is already reached (or less than a second away). */
  static final class ExpiredException extends Exception {
    private static final long serialVersionUID = 1L;

    ExpiredException() {
      super("message expired before it could be submitted");
    }
  }

  private ValidityPeriod() {}

  /**
   * The {@code validity_period} for a message expiring at {@code expiresAt}; empty when it has no
   * expiry (the SMSC's default applies).
   */
  static Optional<String> forExpiry(Instant expiresAt, Instant now, SmppConfig.ValidityFormat format)
      throws ExpiredException {
    if (expiresAt == null) {
      return Optional.empty();
    }
    Duration left = Duration.between(now, expiresAt);
    if (left.getSeconds() < 1) {
      throw new ExpiredException();
    }
    return Optional.of(format == SmppConfig.ValidityFormat.RELATIVE ? relative(left) : absolute(expiresAt));
  }

  /** Relative form, rounded down to whole seconds. */
  static String relative(Duration d) {
    long s = Math.min(Math.max(0, d.getSeconds()), MAX_RELATIVE_SECONDS);
    long days = s / 86_400;
    long hours = (s % 86_400) / 3600;
    long minutes = (s % 3600) / 60;
    long seconds = s % 60;
    return String.format("0000%02d%02d%02d%02d000R", days, hours, minutes, seconds);
  }

  /** Absolute form in UTC, rounded down to whole seconds. */
  static String absolute(Instant t) {
    return ABSOLUTE.format(t) + "000+";
  }
}
