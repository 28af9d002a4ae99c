package io.parlor.spi;

/** How well a network supports a feature; never a bare boolean. */
public enum Level {
  /** Carried as is. */
  FULL,
  /** Carried after a lossless conversion (e.g. re-encoding). */
  CONVERTED,
  /** Carried in a weaker form the recipient can still use (e.g. a link instead of media). */
  FALLBACK,
  /** Silently not carried; the message is delivered without it. */
  DROPPED,
  /** A message that needs the feature is refused. */
  REJECTED;

  public boolean carries() {
    return this == FULL || this == CONVERTED || this == FALLBACK;
  }
}
