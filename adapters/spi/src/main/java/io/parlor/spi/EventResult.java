package io.parlor.spi;

import java.util.List;
import java.util.Objects;

/**
 * The core's answer to an event.
 *
 * @param code null when accepted; else a stable machine-readable code ({@link
 *     #UNKNOWN_REFERENCE}, {@link #RECIPIENT_UNREACHABLE}, {@link #INVALID}, {@link #UNSUPPORTED})
 * @param message human-readable detail that reveals no more than the code
 * @param unknownIds for a read receipt that was accepted: the ids among those given that Parlor
 *     does not know (ignored)
 */
@Incubating
public record EventResult(String code, String message, List<String> unknownIds) {
  public static final String UNKNOWN_REFERENCE = "unknown_reference";
  public static final String RECIPIENT_UNREACHABLE = "recipient_unreachable";
  public static final String INVALID = "invalid_event";
  public static final String UNSUPPORTED = "unsupported";

  public EventResult {
    unknownIds = List.copyOf(Objects.requireNonNull(unknownIds, "unknownIds"));
  }

  public static EventResult accepted() {
    return new EventResult(null, "", List.of());
  }

  public static EventResult accepted(List<String> unknownIds) {
    return new EventResult(null, "", unknownIds);
  }

  public static EventResult refused(String code, String message) {
    return new EventResult(Objects.requireNonNull(code), message, List.of());
  }

  public boolean isAccepted() {
    return code == null;
  }
}
