package io.parlor.spi.envelope;

import java.util.regex.Pattern;

/** Identifier of a configured network, e.g. {@code chatapp} or {@code sms}. Lowercase, 1-32 chars. */
public record NetworkId(String value) {
  private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  public NetworkId {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "network id must match [a-z][a-z0-9_-]{0,31}");
    }
  }

  public static NetworkId of(String value) {
    return new NetworkId(value);
  }

  public static boolean isValid(String value) {
    return value != null && VALID.matcher(value).matches();
  }

  @Override
  public String toString() {
    return value;
  }
}
