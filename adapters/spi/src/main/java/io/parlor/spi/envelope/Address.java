package io.parlor.spi.envelope;

import java.util.Optional;

/**
 * An address in one of three forms:
 *
 * <ul>
 *   <li>{@link Kind#ACCOUNT} {@code network:account}, e.g. {@code sms:+447700900123};
 *   <li>{@link Kind#HANDLE} {@code @name}, a public handle a person chose to publish;
 *   <li>{@link Kind#RELAY} {@code ~xxxx}, a relay handle minted by the gateway so that a recipient
 *       can answer without learning the sender's account.
 * </ul>
 *
 * <p>Addresses are identifiers of people: never log them raw.
 */
public record Address(String value) {

  /** The three address forms. */
  public enum Kind {
    ACCOUNT,
    HANDLE,
    RELAY
  }

  public Address {
    if (value == null || kindOf(value).isEmpty()) {
      throw new IllegalArgumentException(
          "address must be network:account, @handle or ~relay");
    }
  }

  /** Parses an address, naming {@code field} in the exception when it is invalid. */
  public static Address parse(String field, String value) {
    if (value == null || value.isEmpty()) {
      throw new EnvelopeException(field, "is required");
    }
    try {
      return new Address(value); // validates once (checking here as well doubled the cost)
    } catch (IllegalArgumentException e) {
      throw new EnvelopeException(field, "must be network:account, @handle or ~relay handle");
    }
  }

  public static Address of(String value) {
    return new Address(value);
  }

  public static Address account(NetworkId network, String account) {
    return new Address(network.value() + ":" + account);
  }

  public static boolean isValid(String value) {
    return value != null && kindOf(value).isPresent();
  }

  private static Optional<Kind> kindOf(String v) {
    // by hand, not by regular expression: addresses are made several times for every message.
    // What each form accepts is that of its expression, in AddressTest (held to it there):
    //   ACCOUNT [a-z][a-z0-9_-]{0,31}:[^\s:][^\s]{0,255} and no control characters
    //   HANDLE  @[a-z0-9_.]{1,32}
    //   RELAY   ~[a-z0-9]{4,32}
    int n = v.length();
    if (v.startsWith("@")) {
      return n >= 2 && n <= 33 && all(v, 1, n, true) ? Optional.of(Kind.HANDLE) : Optional.empty();
    }
    if (v.startsWith("~")) {
      return n >= 5 && n <= 33 && all(v, 1, n, false) ? Optional.of(Kind.RELAY) : Optional.empty();
    }
    int colon = v.indexOf(':');
    if (colon < 0 || !NetworkId.isValid(v, 0, colon) || colon + 1 >= n) {
      return Optional.empty();
    }
    if (v.charAt(colon + 1) == ':') {
      return Optional.empty();
    }
    int codePoints = 0;
    for (int i = colon + 1; i < n; i++) {
      char c = v.charAt(i);
      if (blank(c) || Character.isISOControl(c)) {
        return Optional.empty();
      }
      if (!(Character.isLowSurrogate(c) && Character.isHighSurrogate(v.charAt(i - 1)) && i - 1 > colon)) {
        codePoints++; // (a pair is one character, as the expression counts them)
      }
    }
    return codePoints <= 256 ? Optional.of(Kind.ACCOUNT) : Optional.empty();
  }

  /** Whether v[from, to) is all [a-z0-9], and also '_' and '.' when {@code handle}. */
  private static boolean all(String v, int from, int to, boolean handle) {
    for (int i = from; i < to; i++) {
      char c = v.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (handle && (c == '_' || c == '.')))) {
        return false;
      }
    }
    return true;
  }

  /** What {@code \s} matches: ASCII blanks. */
  private static boolean blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  public Kind kind() {
    // the constructor validated the whole value: its first character tells the form
    char first = value.charAt(0);
    return first == '@' ? Kind.HANDLE : first == '~' ? Kind.RELAY : Kind.ACCOUNT;
  }

  /** The network of an account address; empty for handles. */
  public Optional<NetworkId> network() {
    if (kind() != Kind.ACCOUNT) {
      return Optional.empty();
    }
    return Optional.of(new NetworkId(value.substring(0, value.indexOf(':'))));
  }

  /** The account part of an account address ({@code +447700900123} for {@code sms:+447700900123}). */
  public String account() {
    if (kind() != Kind.ACCOUNT) {
      throw new IllegalStateException("not an account address");
    }
    return value.substring(value.indexOf(':') + 1);
  }

  @Override
  public String toString() {
    return value;
  }
}
