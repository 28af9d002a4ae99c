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
    String id,
    List<Address> accounts,
    boolean optIn,
    ReachableBy reachableBy,
    String handle,
    boolean allowPlaintextFallback,
    Long defaultTimerSeconds) {
  public Person {
    Objects.requireNonNull(id);
    accounts = List.copyOf(accounts);
    Objects.requireNonNull(reachableBy);
  }

  /** A person with default preferences: not opted in, reachable by everyone once they do. */
  public static Person fresh(String id, List<Address> accounts) {
    return new Person(id, accounts, false, ReachableBy.EVERYONE, null, false, null);
  }

  public Person withAccounts(List<Address> newAccounts) {
    return new Person(id, newAccounts, optIn, reachableBy, handle, allowPlaintextFallback, defaultTimerSeconds);
  }

  public Optional<String> handleOpt() {
    return Optional.ofNullable(handle);
  }

  public PartyKey key() {
    return PartyKey.person(id);
  }
}
