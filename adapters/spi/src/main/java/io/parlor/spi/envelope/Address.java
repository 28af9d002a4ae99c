package io.parlor.spi.envelope;

import java.util.Optional;
import java.util.regex.Pattern;

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
  private static final Pattern ACCOUNT = Pattern.compile("[a-z][a-z0-9_-]{0,31}:[^\\s:][^\\s]{0,255}");
  private static final Pattern HANDLE = Pattern.compile("@[a-z0-9_.]{1,32}");
  private static final Pattern RELAY = Pattern.compile("~[a-z0-9]{4,32}");

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
    if (v.startsWith("@")) {
      return HANDLE.matcher(v).matches() ? Optional.of(Kind.HANDLE) : Optional.empty();
    }
    if (v.startsWith("~")) {
      return RELAY.matcher(v).matches() ? Optional.of(Kind.RELAY) : Optional.empty();
    }
    if (!ACCOUNT.matcher(v).matches()) {
      return Optional.empty();
    }
    for (int i = 0; i < v.length(); i++) {
      if (Character.isISOControl(v.charAt(i))) {
        return Optional.empty();
      }
    }
    return Optional.of(Kind.ACCOUNT);
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
