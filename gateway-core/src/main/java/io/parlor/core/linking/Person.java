package io.parlor.core.linking;

import io.parlor.spi.envelope.Address;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A person: verified linked accounts, in preference order (the first is preferred, the rest are
 * the fallback order), reachability preferences, and an optional public handle ({@code @name},
 * stored without the {@code @}) others may write to instead of an account, and their
 * conversation preferences.
 */
public record Person(
    String id,
    List<Address> accounts,
    boolean optIn,
    ReachableBy reachableBy,
    String handle,
    boolean allowPlaintextFallback,
    Long defaultTimerSeconds,
    ConversationPrefs conversation) {
  public Person {
    Objects.requireNonNull(id);
    accounts = List.copyOf(accounts);
    Objects.requireNonNull(reachableBy);
    conversation = conversation == null ? ConversationPrefs.DEFAULT : conversation;
  }

  /** A person with the default conversation preferences. */
  public Person(
      String id,
      List<Address> accounts,
      boolean optIn,
      ReachableBy reachableBy,
      String handle,
      boolean allowPlaintextFallback,
      Long defaultTimerSeconds) {
    this(id, accounts, optIn, reachableBy, handle, allowPlaintextFallback, defaultTimerSeconds, ConversationPrefs.DEFAULT);
  }

  public Person withConversation(ConversationPrefs prefs) {
    return new Person(id, accounts, optIn, reachableBy, handle, allowPlaintextFallback, defaultTimerSeconds, prefs);
  }

  /** The first of this person's accounts on {@code network}, if any. */
  public Optional<Address> accountOn(io.parlor.spi.envelope.NetworkId network) {
    return accounts.stream().filter(a -> a.network().orElseThrow().equals(network)).findFirst();
  }

  /** A person with default preferences: not opted in, reachable by everyone once they do. */
  public static Person fresh(String id, List<Address> accounts) {
    return new Person(id, accounts, false, ReachableBy.EVERYONE, null, false, null);
  }

  public Person withAccounts(List<Address> newAccounts) {
    return new Person(id, newAccounts, optIn, reachableBy, handle, allowPlaintextFallback, defaultTimerSeconds, conversation);
  }

  public Optional<String> handleOpt() {
    return Optional.ofNullable(handle);
  }

  public PartyKey key() {
    return PartyKey.person(id);
  }
}
