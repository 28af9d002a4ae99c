package io.parlor.core.linking;

import io.parlor.spi.envelope.Envelope;
import java.util.Locale;
import java.util.Optional;

/**
 * A person's choices about conversations beyond one-to-one text (contract part 2): whether the
 * people they read messages from learn it, whether reactions their network cannot show reach them
 * as text, and how they appear to recipients.
 *
 * @param sendReadReceipts senders learn when this person read their message (default true)
 * @param reactionFallback reactions reach this person as text where their network cannot show
 *     them (default true); otherwise they are dropped
 * @param showAs recipients see this person's public {@code @handle} (when they published one) or a
 *     relay handle per recipient (the default)
 * @param displayName a name recipients see next to the handle, or null
 */
public record ConversationPrefs(boolean sendReadReceipts, boolean reactionFallback, ShowAs showAs, String displayName) {

  /** How a person appears to the people they write to. */
  public enum ShowAs {
    RELAY,
    HANDLE;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ShowAs> parse(String s) {
      for (ShowAs v : values()) {
        if (v.wire().equals(s)) {
          return Optional.of(v);
        }
      }
      return Optional.empty();
    }
  }

  public static final ConversationPrefs DEFAULT = new ConversationPrefs(true, true, ShowAs.RELAY, null);

  public ConversationPrefs {
    showAs = showAs == null ? ShowAs.RELAY : showAs;
    if (displayName != null && !Envelope.validName(displayName)) {
      throw new IllegalArgumentException("displayName: must be 1-" + Envelope.MAX_NAME + " characters without control characters");
    }
  }
}
