package io.parlor.spi.envelope;

/** A message id, unique per source network: 1-128 printable characters without whitespace. */
public record MessageId(String value) {
  public static final int MAX_LENGTH = 128;

  public MessageId {
    if (!isValid(value)) {
      throw new IllegalArgumentException("message id must be 1-128 printable characters");
    }
  }

  public static MessageId parse(String field, String value) {
    if (value == null || value.isEmpty()) {
      throw new EnvelopeException(field, "is required");
    }
    if (!isValid(value)) {
      throw new EnvelopeException(field, "must be 1-128 printable characters without spaces");
    }
    return new MessageId(value);
  }

  public static MessageId of(String value) {
    return new MessageId(value);
  }

  static boolean isValid(String v) {
    if (v == null || v.isEmpty() || v.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c <= 0x20 || c == 0x7f || Character.isISOControl(c) || Character.isWhitespace(c)) {
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
