package io.parlor.spi.envelope;

/** Identifier of a configured network, e.g. {@code chatapp} or {@code sms}. Lowercase, 1-32 chars. */
public record NetworkId(String value) {
  public NetworkId {
    if (!isValid(value)) {
      throw new IllegalArgumentException(
          "network id must match [a-z][a-z0-9_-]{0,31}");
    }
  }

  public static NetworkId of(String value) {
    return new NetworkId(value);
  }

  /** Whether {@code value} matches {@code [a-z][a-z0-9_-]{0,31}} (checked by hand: ids are made for every message). */
  public static boolean isValid(String value) {
    return value != null && isValid(value, 0, value.length());
  }

  /** Whether {@code s[from, to)} is a valid network id. */
  static boolean isValid(String s, int from, int to) {
    if (to - from < 1 || to - from > 32) {
      return false;
    }
    char first = s.charAt(from);
    if (first < 'a' || first > 'z') {
      return false;
    }
    for (int i = from + 1; i < to; i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return value;
  }
}
