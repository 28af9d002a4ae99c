package io.parlor.adapter.whatsapp;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.GraphIds;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * WhatsApp Cloud API webhook payload → envelopes and statuses. Pure: no I/O, no clock, no logging;
 * thread-safe.
 *
 * <p>Mapped: {@code messages[]} of {@code type: text} become envelopes: {@code id} = the wamid,
 * {@code from} = {@code <network>:+<wa digits>}, {@code to} = {@code <network>:<phoneNumberId>},
 * {@code sentAt} = {@code timestamp} (seconds, sent as a string), {@code replyTo} = {@code
 * context.id}. {@code statuses[]} (sent, delivered, read, played, failed) become {@link
 * WhatsAppStatus}es. Every entry and change of a batched webhook counts.
 *
 * <p>Skipped and counted by kind in {@link Batch#skipped()} (never with content or identifiers):
 * every other message type (image, audio, video, document, sticker, location, contacts,
 * interactive, button, reaction, order, system, unsupported, ...), text messages that cannot be
 * mapped (sender not a phone number, no id, no timestamp, empty body), events for another phone
 * number id than this network's, changes of other fields and other objects.
 */
final class WhatsAppNormalizer {
  static final String OBJECT = "whatsapp_business_account";

  static final String SKIP_INVALID_MESSAGE = "invalid_message";
  static final String SKIP_INVALID_STATUS = "invalid_status";
  static final String SKIP_UNKNOWN_STATUS = "unknown_status";
  static final String SKIP_OTHER_PHONE_NUMBER = "other_phone_number";
  static final String SKIP_OTHER_FIELD = "other_field";
  static final String SKIP_OTHER_OBJECT = "other_object";
  static final String SKIP_OTHER_TYPE = "other";

  /** Message types WhatsApp documents; only {@code text} is mapped. */
  static final Set<String> KNOWN_TYPES =
      Set.of("text", "image", "audio", "video", "document", "sticker", "location", "contacts",
          "interactive", "button", "reaction", "order", "system", "unsupported", "request_welcome");

  private static final Pattern WA_ID = Pattern.compile("\\+?([0-9]{1,15})");

  private final NetworkId network;
  private final String phoneNumberId;
  private final Address self;

  /**
   * What one webhook carried.
   *
   * @param messages text messages, in payload order
   * @param statuses statuses of messages this network sent, in payload order
   * @param skipped how many items were skipped, by kind (message type or reason)
   */
  record Batch(List<Envelope> messages, List<WhatsAppStatus> statuses, Map<String, Integer> skipped) {
    Batch {
      messages = List.copyOf(messages);
      statuses = List.copyOf(statuses);
      skipped = Map.copyOf(skipped);
    }

    int skippedCount() {
      return skipped.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  WhatsAppNormalizer(NetworkId network, String phoneNumberId) {
    this.network = network;
    this.phoneNumberId = phoneNumberId;
    this.self = Address.account(network, phoneNumberId);
  }

  /** Normalizes a parsed webhook body. Never throws for unexpected shapes: it skips them. */
  Batch normalize(JsonNode root) {
    List<Envelope> messages = new ArrayList<>();
    List<WhatsAppStatus> statuses = new ArrayList<>();
    Map<String, Integer> skipped = new TreeMap<>();
    if (!OBJECT.equals(root.path("object").asText())) {
      skipped.merge(SKIP_OTHER_OBJECT, 1, Integer::sum);
      return new Batch(messages, statuses, skipped);
    }
    for (JsonNode entry : root.path("entry")) {
      for (JsonNode change : entry.path("changes")) {
        if (!"messages".equals(change.path("field").asText())) {
          skipped.merge(SKIP_OTHER_FIELD, 1, Integer::sum);
          continue;
        }
        value(change.path("value"), messages, statuses, skipped);
      }
    }
    return new Batch(messages, statuses, skipped);
  }

  private void value(
      JsonNode value, List<Envelope> messages, List<WhatsAppStatus> statuses, Map<String, Integer> skipped) {
    String to = value.path("metadata").path("phone_number_id").asText();
    if (!phoneNumberId.equals(to)) {
      int n = value.path("messages").size() + value.path("statuses").size();
      skipped.merge(SKIP_OTHER_PHONE_NUMBER, Math.max(1, n), Integer::sum);
      return;
    }
    for (JsonNode m : value.path("messages")) {
      String type = m.path("type").asText();
      if (!"text".equals(type)) {
        skipped.merge(KNOWN_TYPES.contains(type) ? type : SKIP_OTHER_TYPE, 1, Integer::sum);
        continue;
      }
      Optional<Envelope> e = text(m);
      if (e.isPresent()) {
        messages.add(e.get());
      } else {
        skipped.merge(SKIP_INVALID_MESSAGE, 1, Integer::sum);
      }
    }
    for (JsonNode s : value.path("statuses")) {
      Optional<WhatsAppStatus.State> state = WhatsAppStatus.State.fromWire(s.path("status").asText(null));
      if (state.isEmpty()) {
        skipped.merge(SKIP_UNKNOWN_STATUS, 1, Integer::sum);
        continue;
      }
      Optional<WhatsAppStatus> st = status(s, state.get());
      if (st.isPresent()) {
        statuses.add(st.get());
      } else {
        skipped.merge(SKIP_INVALID_STATUS, 1, Integer::sum);
      }
    }
  }

  private Optional<Envelope> text(JsonNode m) {
    try {
      Optional<Address> from = senderAddress(network, m.path("from").asText(null));
      if (from.isEmpty()) {
        return Optional.empty();
      }
      MessageId id = messageId(m.path("id").asText(null));
      Instant sentAt = Instant.ofEpochSecond(epoch(m.path("timestamp")));
      Content content = new Content.Text(m.path("text").path("body").asText(""));
      String context = m.path("context").path("id").asText(null);
      MessageId replyTo = context == null || context.isBlank() ? null : messageId(context);
      return Optional.of(new Envelope(id, from.get(), self, sentAt, content, null, replyTo, null));
    } catch (RuntimeException e) {
      // EnvelopeException, bad number, out-of-range time: the message cannot be mapped.
      return Optional.empty();
    }
  }

  private static Optional<WhatsAppStatus> status(JsonNode s, WhatsAppStatus.State state) {
    try {
      MessageId id = messageId(s.path("id").asText(null));
      Instant at = Instant.ofEpochSecond(epoch(s.path("timestamp")));
      JsonNode code = s.path("errors").path(0).path("code");
      Integer errorCode = code.canConvertToInt() ? code.intValue() : null;
      return Optional.of(new WhatsAppStatus(id, state, at, errorCode));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * {@code <network>:+<digits>} for a WhatsApp id ({@code wa_id} / {@code from}): surrounding
   * whitespace is trimmed (real payloads carry a trailing space), an optional {@code +} is
   * accepted, and anything but 1-15 digits (E.164) is refused.
   */
  static Optional<Address> senderAddress(NetworkId network, String waId) {
    return digits(waId).map(d -> Address.account(network, "+" + d));
  }

  /** The 1-15 digits of a WhatsApp id or E.164 number, or empty when it is not one. */
  static Optional<String> digits(String waId) {
    if (waId == null) {
      return Optional.empty();
    }
    var matcher = WA_ID.matcher(waId.trim());
    return matcher.matches() ? Optional.of(matcher.group(1)) : Optional.empty();
  }

  /**
   * The envelope id for a platform message id. Ids that are valid {@link MessageId}s are kept as
   * they are; longer ones (Meta ids can exceed 128 characters) become {@code sha256:<base64url>}
   * of the id, stable across redeliveries. Delivery results use the same form so that replies and
   * receipts correlate.
   */
  static MessageId messageId(String platformId) {
    return GraphIds.messageId(platformId);
  }


  private static long epoch(JsonNode n) {
    if (n.isIntegralNumber()) {
      return n.longValue();
    }
    if (n.isTextual()) {
      return Long.parseLong(n.asText().trim());
    }
    throw new IllegalArgumentException("timestamp missing");
  }

}
