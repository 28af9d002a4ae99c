package io.parlor.adapter.smpp;

import java.util.Optional;

/**
 * Converts between Parlor's SMS accounts ({@code +447700900123}, short codes such as {@code 12345})
 * and SMPP addresses with their TON/NPI. Stateless and thread-safe. Never logs numbers.
 */
final class PhoneNumbers {
  static final byte TON_UNKNOWN = 0;
  static final byte TON_INTERNATIONAL = 1;
  static final byte TON_NATIONAL = 2;
  static final byte TON_ALPHANUMERIC = 5;
  static final byte NPI_UNKNOWN = 0;
  static final byte NPI_ISDN = 1;

  private static final int SHORT_CODE_MAX = 8;

  private PhoneNumbers() {}

  /**
   * An SMPP address.
   *
   * @param address the digits (no {@code +}) or alphanumeric sender
   * @param ton type of number
   * @param npi numbering plan indicator
   */
  record SmppAddress(String address, byte ton, byte npi) {}

  /**
   * The destination for an account: E.164 ({@code +} and 7-15 digits, {@code 00} prefix accepted,
   * spaces, dots, dashes and parentheses ignored) as international/ISDN, or a short code of at
   * most 8 digits as unknown/ISDN. Empty when the account is neither.
   */
  static Optional<SmppAddress> destination(String account) {
    String s = stripFormatting(account);
    boolean plus = false;
    if (s.startsWith("+")) {
      plus = true;
      s = s.substring(1);
    } else if (s.startsWith("00")) {
      plus = true;
      s = s.substring(2);
    }
    if (!digits(s)) {
      return Optional.empty();
    }
    if (!plus && s.length() <= SHORT_CODE_MAX) {
      return Optional.of(new SmppAddress(s, TON_UNKNOWN, NPI_ISDN));
    }
    if (s.length() < 7 || s.length() > 15 || s.startsWith("0")) {
      return Optional.empty();
    }
    return Optional.of(new SmppAddress(s, TON_INTERNATIONAL, NPI_ISDN));
  }

  /** The E.164 form ({@code +digits}) of {@code account}, if it is an international number. */
  static Optional<String> e164(String account) {
    return destination(account)
        .filter(a -> a.ton() == TON_INTERNATIONAL)
        .map(a -> "+" + a.address());
  }

  /**
   * The account for an address an SMSC sent: {@code +digits} for international numbers (TON 1, a
   * {@code +} or {@code 00} prefix, or 9+ digits with unknown TON, which is how most SMSCs send
   * MSISDNs), the digits for short codes and national numbers, the text without whitespace for
   * alphanumeric senders. Empty when nothing usable remains.
   */
  static Optional<String> fromSmpp(String address, byte ton) {
    if (address == null) {
      return Optional.empty();
    }
    String s = address.replaceAll("\\s", "");
    if (s.isEmpty()) {
      return Optional.empty();
    }
    if (ton == TON_ALPHANUMERIC) {
      return Optional.of(s);
    }
    String digits = s;
    boolean plus = false;
    if (digits.startsWith("+")) {
      plus = true;
      digits = digits.substring(1);
    } else if (digits.startsWith("00") && ton != TON_NATIONAL) {
      plus = true;
      digits = digits.substring(2);
    }
    if (!digits(digits)) {
      return Optional.of(s);
    }
    boolean international =
        ton == TON_INTERNATIONAL || plus || (ton == TON_UNKNOWN && digits.length() > SHORT_CODE_MAX);
    return Optional.of(international ? "+" + digits : digits);
  }

  /** Without spaces, dots, dashes and parentheses (on the delivery path: no regex). */
  private static String stripFormatting(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!Character.isWhitespace(c) && c != '(' && c != ')' && c != '.' && c != '-') {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static boolean digits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
