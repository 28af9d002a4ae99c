package io.parlor.spi.envelope;

import java.util.Locale;
import java.util.Optional;

/**
 * The kinds of {@link Content} (contract part 2, section 2). {@link #TEXT} and {@link #ENCRYPTED}
 * are version 1; the others are version 2 and reach a network natively only when it declares them
 * ({@code capabilities.content}); otherwise the core sends their fallback (a text form) or drops
 * them, and tells the sender which.
 */
public enum ContentKind {
  TEXT,
  ENCRYPTED,
  MEDIA,
  REACTION,
  EDIT,
  DELETE,
  LOCATION;

  /** The {@code content.type} value. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The kind for a {@code content.type} value. */
  public static Optional<ContentKind> fromWire(String wire) {
    for (ContentKind k : values()) {
      if (k.wire().equals(wire)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  /** Whether an envelope carrying this kind is a version 2 envelope. */
  public boolean v2() {
    return this != TEXT && this != ENCRYPTED;
  }
}
