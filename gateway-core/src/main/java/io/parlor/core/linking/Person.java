package io.parlor.core.linking;

import io.parlor.spi.envelope.Address;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A person: verified linked accounts, in preference order (the first is preferred, the rest are
 * the fallback order), reachability preferences, and an optional public handle ({@code @name},
 * stored without the {@code @}) others may write to instead of an account.
 */
public record Person(
    String id, List<Address> accounts, boolean optIn, ReachableBy reachableBy, String handle) {
  public Person {
    Objects.requireNonNull(id);
    accounts = List.copyOf(accounts);
    Objects.requireNonNull(reachableBy);
  }

  public Optional<String> handleOpt() {
    return Optional.ofNullable(handle);
  }

  public PartyKey key() {
    return PartyKey.person(id);
  }
}
