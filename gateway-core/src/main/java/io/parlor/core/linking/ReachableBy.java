package io.parlor.core.linking;

import java.util.Locale;
import java.util.Optional;

/** Who may reach a person. */
public enum ReachableBy {
  /** Anyone. */
  EVERYONE,
  /** Only people the person wrote to first. */
  CONTACTED,
  /** Nobody (only replies to conversations the person started). */
  NOBODY;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<ReachableBy> parse(String s) {
    for (ReachableBy r : values()) {
      if (r.wire().equals(s)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
