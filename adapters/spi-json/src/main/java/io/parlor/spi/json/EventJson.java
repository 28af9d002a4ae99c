package io.parlor.spi.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.EnvelopeException;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.envelope.MessageId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON form of events (contract part 2, section 4): {@code {"type": "read", "from", "to"?,
 * "ids": [...], "at"?}}, {@code {"type": "typing", "from", "to", "state": "on" | "off"}} and
 * {@code {"type": "timer", "from", "to", "seconds": n | null}} and {@code {"type": "report", "from",
 * "id", "reason"?, "content"?: {...}}}.
 * Thread-safe, stateless. Errors are {@link EnvelopeException}s naming the field.
 */
public final class EventJson {
  private EventJson() {}

  /**
   * Parses and validates an event from raw JSON bytes.
   *
   * @param now the time a read receipt without {@code at} happened
   */
  public static Event read(byte[] json, Instant now) {
    JsonNode root = EnvelopeJson.tree(json);
    String type = EnvelopeJson.text(root, "type", true);
    Address from = Address.parse("from", EnvelopeJson.text(root, "from", true));
    String toText = EnvelopeJson.text(root, "to", false);
    Address to = toText == null ? null : Address.parse("to", toText);
    switch (type) {
      case "read":
        String at = EnvelopeJson.text(root, "at", false);
        return new Event.Read(from, to, ids(root.get("ids")), null, at == null ? now : EnvelopeJson.instant("at", at));
      case "typing":
        String state = EnvelopeJson.text(root, "state", true);
        if (!state.equals("on") && !state.equals("off")) {
          throw new EnvelopeException("state", "must be \"on\" or \"off\"");
        }
        return new Event.Typing(from, to, state.equals("on"));
      case "timer":
        JsonNode seconds = root.get("seconds");
        if (seconds == null) {
          throw new EnvelopeException("seconds", "is required: whole seconds, or null to turn the timer off");
        }
        if (!seconds.isNull() && !seconds.canConvertToExactIntegral()) {
          throw new EnvelopeException("seconds", "must be null (off) or whole seconds from 1 to "
              + io.parlor.spi.envelope.Timer.MAX_SECONDS);
        }
        if (!seconds.isNull() && !seconds.canConvertToLong()) {
          throw new EnvelopeException("seconds", "must be null (off) or whole seconds from 1 to "
              + io.parlor.spi.envelope.Timer.MAX_SECONDS);
        }
        return new Event.Timer(from, to, seconds.isNull() ? null : seconds.longValue());
      case "report":
        JsonNode content = root.get("content");
        if (content != null && !content.isNull() && !content.isObject()) {
          throw new EnvelopeException("content", "must be a JSON object (what you choose to reveal of the message)");
        }
        return new Event.Report(from, MessageId.parse("id", EnvelopeJson.text(root, "id", true)),
            EnvelopeJson.text(root, "reason", false), content == null || content.isNull() ? null : content.toString(),
            opening(root.get("franking")));
      default:
        throw new EnvelopeException("type", "must be \"read\", \"typing\", \"timer\" or \"report\"");
    }
  }

  /**
   * {@code "franking": {"plaintext": base64, "key": base64, "commitment": base64, "tag", "at"}}: the
   * opening of a franked message, or null.
   */
  public static Event.Report.Opening opening(JsonNode f) {
    if (f == null || f.isNull()) {
      return null;
    }
    if (!f.isObject()) {
      throw new EnvelopeException("franking", "must be an object: plaintext, key, commitment, tag and at");
    }
    String at = EnvelopeJson.text(f, "franking.at", "at", true);
    return new Event.Report.Opening(bytes(f, "plaintext"), bytes(f, "key"), bytes(f, "commitment"),
        EnvelopeJson.text(f, "franking.tag", "tag", true), EnvelopeJson.instant("franking.at", at));
  }

  private static byte[] bytes(JsonNode f, String field) {
    String b64 = EnvelopeJson.text(f, "franking." + field, field, true);
    try {
      return java.util.Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new EnvelopeException("franking." + field, "must be standard base64");
    }
  }

  private static List<MessageId> ids(JsonNode ids) {
    if (ids == null || ids.isNull()) {
      throw new EnvelopeException("ids", "is required");
    }
    if (!ids.isArray() || ids.isEmpty() || ids.size() > Event.Read.MAX_IDS) {
      throw new EnvelopeException("ids", "must be an array of 1 to " + Event.Read.MAX_IDS + " message ids");
    }
    List<MessageId> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      JsonNode v = ids.get(i);
      if (!v.isTextual()) {
        throw new EnvelopeException("ids[" + i + "]", "must be a string");
      }
      out.add(MessageId.parse("ids[" + i + "]", v.textValue()));
    }
    return out;
  }
}
