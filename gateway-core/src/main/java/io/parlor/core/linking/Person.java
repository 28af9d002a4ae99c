package io.parlor.core.linking;

import io.parlor.spi.envelope.Address;
import java.util.List;
import java.util.Objects;

/**
 * A person: verified linked accounts, in preference order (the first is preferred, the rest are
 * the fallback order), and reachability preferences.
 */
public record Person(String id, List<Address> accounts, boolean optIn, ReachableBy reachableBy) {
  public Person {
    Objects.requireNonNull(id);
    accounts = List.copyOf(accounts);
    Objects.requireNonNull(reachableBy);
  }

  public PartyKey key() {
    return PartyKey.person(id);
  }
}
