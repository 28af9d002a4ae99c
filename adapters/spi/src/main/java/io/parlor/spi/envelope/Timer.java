package io.parlor.spi.envelope;

/**
 * A disappearing-message timer.
 *
 * @param seconds lifetime in seconds, at least 1
 * @param start when the countdown starts: at send, or when the recipient reads it
 */
public record Timer(long seconds, Start start) {
  /** Maximum timer: ten years. */
  public static final long MAX_SECONDS = 10L * 366 * 24 * 3600;

  /** When the countdown starts. */
  public enum Start {
    SEND,
    READ;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public Timer {
    if (seconds < 1 || seconds > MAX_SECONDS) {
      throw new EnvelopeException("timer.seconds", "must be between 1 and " + MAX_SECONDS);
    }
    if (start == null) {
      throw new EnvelopeException("timer.start", "must be \"send\" or \"read\"");
    }
  }
}
