package io.parlor.core.linking;

import io.parlor.spi.envelope.Address;
import java.util.Objects;

/**
 * Who a message is for or from, as routing sees it: a person ({@code person:<id>}, reached at
 * their preferred linked account), a bare account of someone who is not a person in Parlor
 * ({@code addr:<network:account>}), or a group on the node ({@code group:<id>}, only ever what a
 * member's group address represents).
 */
public record PartyKey(String value) {
  private static final String PERSON = "person:";
  private static final String ADDR = "addr:";
  private static final String GROUP = "group:";

  public PartyKey {
    Objects.requireNonNull(value);
    if (!value.startsWith(PERSON) && !value.startsWith(ADDR) && !value.startsWith(GROUP)) {
      throw new IllegalArgumentException("party key must start with person:, addr: or group:");
    }
  }

  public static PartyKey person(String personId) {
    return new PartyKey(PERSON + personId);
  }

  public static PartyKey address(Address a) {
    return new PartyKey(ADDR + a.value());
  }

  public static PartyKey group(String groupId) {
    return new PartyKey(GROUP + groupId);
  }

  public boolean isGroup() {
    return value.startsWith(GROUP);
  }

  public String groupId() {
    if (!isGroup()) {
      throw new IllegalStateException("not a group key");
    }
    return value.substring(GROUP.length());
  }

  public boolean isPerson() {
    return value.startsWith(PERSON);
  }

  public String personId() {
    if (!isPerson()) {
      throw new IllegalStateException("not a person key");
    }
    return value.substring(PERSON.length());
  }

  public Address address() {
    if (!value.startsWith(ADDR)) {
      throw new IllegalStateException("not an address key");
    }
    return Address.of(value.substring(ADDR.length()));
  }

  @Override
  public String toString() {
    return isPerson() ? "person" : isGroup() ? "group" : "address";
  }
}
