package io.parlor.adapter.messenger;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The two platforms served by the Messenger Platform's webhook and Send API shapes. They differ in
 * the webhook's {@code object} and in the text limit.
 */
public enum Platform {
  /** Facebook Messenger, for a Page: {@code object: page}, text up to 2000 characters. */
  MESSENGER("page", 2000, false),
  /**
   * Instagram messaging through the Messenger API: {@code object: instagram}, text under 1000
   * bytes of UTF-8.
   */
  INSTAGRAM("instagram", 1000, true);

  private final String webhookObject;
  private final int maxText;
  private final boolean maxTextInBytes;

  Platform(String webhookObject, int maxText, boolean maxTextInBytes) {
    this.webhookObject = webhookObject;
    this.maxText = maxText;
    this.maxTextInBytes = maxTextInBytes;
  }

  /** The config value: {@code messenger} or {@code instagram}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Platform fromWire(String wire) {
    return valueOf(wire.toUpperCase(Locale.ROOT));
  }

  /** The {@code object} field of this platform's webhooks. */
  String webhookObject() {
    return webhookObject;
  }

  /** The platform's text limit, in characters (Messenger) or UTF-8 bytes (Instagram). */
  int maxText() {
    return maxText;
  }

  /** Whether {@code text} is within the platform's limit. */
  boolean fits(String text) {
    int size = maxTextInBytes ? text.getBytes(StandardCharsets.UTF_8).length : text.length();
    return size <= maxText;
  }

  /** How the limit is counted, for messages. */
  String unit() {
    return maxTextInBytes ? "UTF-8 bytes" : "characters";
  }
}
