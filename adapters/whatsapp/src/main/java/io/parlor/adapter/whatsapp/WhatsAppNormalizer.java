package io.parlor.adapter.whatsapp;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.GraphIds;
import io.parlor.adapter.meta.WebhookBatch;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.Event;
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
 * <p>Mapped: {@code messages[]} become envelopes: {@code id} = the wamid, {@code from} = {@code
 * <network>:+<wa digits>}, {@code to} = {@code <network>:<phoneNumberId>}, {@code sentAt} = {@code
 * timestamp} (seconds, sent as a string), {@code replyTo} = {@code context.id}; their content by
 * {@code type}:
 *
 * <table>
 *   <tr><th>type</th><th>content</th></tr>
 *   <tr><td>text</td><td>text ({@code text.body})</td></tr>
 *   <tr><td>image, audio, video, document, sticker</td><td>media held by WhatsApp: source = the media id
 *       (fetched through the Graph API with the token), mime type, SHA-256 (sent base64, kept hex),
 *       caption, file name; an audio with {@code voice: true} is a voice message</td></tr>
 *   <tr><td>location</td><td>location (name, else address)</td></tr>
 *   <tr><td>reaction</td><td>reaction to {@code reaction.message_id}; no or empty emoji removes it</td></tr>
 *   <tr><td>edit (WhatsApp Business app numbers)</td><td>edit of {@code edit.original_message_id} to
 *       {@code edit.message.text.body}</td></tr>
 *   <tr><td>revoke (idem)</td><td>delete of {@code revoke.original_message_id}</td></tr>
 * </table>
 *
 * <p>{@code statuses[]} (sent, delivered, read, played, failed) become {@link WhatsAppStatus}es;
 * a {@code read} with its {@code recipient_id} is also the reader's read receipt ({@link
 * WebhookBatch#reads()}). Every entry and change of a batched webhook counts.
 *
 * <p>Skipped and counted by kind in {@link WebhookBatch#skipped()} (never with content or identifiers):
 * the other message types (contacts, interactive, button, order, system, unsupported — a user's
 * delete on a Cloud API number arrives as {@code unsupported} without naming the message —,
 * request_welcome, ...), messages that cannot be mapped (sender not a phone number, no id, no
 * timestamp, empty body, no media id), events for another phone number id than this network's,
 * changes of other fields and other objects.
 */
final class WhatsAppNormalizer {
  static final String OBJECT = "whatsapp_business_account";

  static final String SKIP_UNKNOWN_STATUS = "unknown_status";
  static final String SKIP_OTHER_PHONE_NUMBER = "other_phone_number";
  static final String SKIP_OTHER_FIELD = "other_field";
  static final String SKIP_OTHER_TYPE = "other";

  /** Message types WhatsApp documents. */
  static final Set<String> KNOWN_TYPES =
      Set.of("text", "image", "audio", "video", "document", "sticker", "location", "contacts",
          "interactive", "button", "reaction", "order", "system", "unsupported", "request_welcome", "edit", "revoke");

  /** The types this normalizer maps to content. */
  static final Set<String> MAPPED_TYPES =
      Set.of("text", "image", "audio", "video", "document", "sticker", "location", "reaction", "edit", "revoke");

  private static final Pattern WA_ID = Pattern.compile("\\+?([0-9]{1,15})");

  private final NetworkId network;
  private final String phoneNumberId;
  private final Address self;


  WhatsAppNormalizer(NetworkId network, String phoneNumberId) {
    this.network = network;
    this.phoneNumberId = phoneNumberId;
    this.self = Address.account(network, phoneNumberId);
  }

  /** Normalizes a parsed webhook body. Never throws for unexpected shapes: it skips them. */
  WebhookBatch<WhatsAppStatus> normalize(JsonNode root) {
    List<Envelope> messages = new ArrayList<>();
    List<WhatsAppStatus> statuses = new ArrayList<>();
    List<Event.Read> reads = new ArrayList<>();
    Map<String, Integer> skipped = new TreeMap<>();
    if (!OBJECT.equals(root.path("object").asText())) {
      skipped.merge(WebhookBatch.SKIP_OTHER_OBJECT, 1, Integer::sum);
      return new WebhookBatch<>(messages, statuses, reads, skipped);
    }
    for (JsonNode entry : root.path("entry")) {
      for (JsonNode change : entry.path("changes")) {
        if (!"messages".equals(change.path("field").asText())) {
          skipped.merge(SKIP_OTHER_FIELD, 1, Integer::sum);
          continue;
        }
        value(change.path("value"), messages, statuses, reads, skipped);
      }
    }
    return new WebhookBatch<>(messages, statuses, reads, skipped);
  }

  private void value(
      JsonNode value, List<Envelope> messages, List<WhatsAppStatus> statuses, List<Event.Read> reads,
      Map<String, Integer> skipped) {
    String to = value.path("metadata").path("phone_number_id").asText();
    if (!phoneNumberId.equals(to)) {
      int n = value.path("messages").size() + value.path("statuses").size();
      skipped.merge(SKIP_OTHER_PHONE_NUMBER, Math.max(1, n), Integer::sum);
      return;
    }
    for (JsonNode m : value.path("messages")) {
      String type = m.path("type").asText();
      if (!MAPPED_TYPES.contains(type)) {
        skipped.merge(KNOWN_TYPES.contains(type) ? type : SKIP_OTHER_TYPE, 1, Integer::sum);
        continue;
      }
      Optional<Envelope> e = message(m, type);
      if (e.isPresent()) {
        messages.add(e.get());
      } else {
        skipped.merge(WebhookBatch.SKIP_INVALID_MESSAGE, 1, Integer::sum);
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
        if (state.get() == WhatsAppStatus.State.READ) {
          senderAddress(network, s.path("recipient_id").asText(null)).ifPresent(reader -> reads.add(
              new Event.Read(reader, null, List.of(st.get().messageId()), null, st.get().at())));
        }
      } else {
        skipped.merge(WebhookBatch.SKIP_INVALID_STATUS, 1, Integer::sum);
      }
    }
  }

  private Optional<Envelope> message(JsonNode m, String type) {
    try {
      Optional<Address> from = senderAddress(network, m.path("from").asText(null));
      if (from.isEmpty()) {
        return Optional.empty();
      }
      MessageId id = messageId(m.path("id").asText(null));
      Instant sentAt = Instant.ofEpochSecond(epoch(m.path("timestamp")));
      Content content = content(m, type);
      String context = m.path("context").path("id").asText(null);
      MessageId replyTo = context == null || context.isBlank() ? null : messageId(context);
      return Optional.of(new Envelope(id, from.get(), self, sentAt, content, null, replyTo, null));
    } catch (RuntimeException e) {
      // EnvelopeException, bad number, out-of-range time: the message cannot be mapped.
      return Optional.empty();
    }
  }

  /** The content of a message of a mapped {@code type}; throws when it cannot be mapped. */
  private static Content content(JsonNode m, String type) {
    switch (type) {
      case "text":
        return new Content.Text(m.path("text").path("body").asText(""));
      case "location":
        JsonNode l = m.path("location");
        if (!l.path("latitude").isNumber() || !l.path("longitude").isNumber()) {
          throw new IllegalArgumentException("location without coordinates");
        }
        String name = l.path("name").asText(l.path("address").asText(""));
        return new Content.Location(
            l.path("latitude").doubleValue(), l.path("longitude").doubleValue(), name.isBlank() ? null : name);
      case "reaction":
        JsonNode r = m.path("reaction");
        // a removed reaction comes without emoji, or with an empty one
        return new Content.Reaction(messageId(r.path("message_id").asText(null)), r.path("emoji").asText(""));
      case "edit":
        // the new text: a text's body, or a media message's new caption
        JsonNode edit = m.path("edit");
        JsonNode changed = edit.path("message");
        String newText = changed.path("text").path("body").asText(
            changed.path(changed.path("type").asText("")).path("caption").asText(""));
        return new Content.Edit(messageId(edit.path("original_message_id").asText(null)), newText);
      case "revoke":
        return new Content.Delete(messageId(m.path("revoke").path("original_message_id").asText(null)));
      default:
        return media(m.path(type), type);
    }
  }

  /** image, audio, video, document, sticker: media held by WhatsApp, named by its media id. */
  private static Content.Media media(JsonNode o, String type) {
    String mediaId = o.path("id").asText("");
    if (mediaId.isEmpty()) {
      throw new IllegalArgumentException("media without id");
    }
    Content.MediaKind kind;
    switch (type) {
      case "image":
        kind = Content.MediaKind.IMAGE;
        break;
      case "audio":
        kind = o.path("voice").asBoolean(false) ? Content.MediaKind.VOICE : Content.MediaKind.AUDIO;
        break;
      case "video":
        kind = Content.MediaKind.VIDEO;
        break;
      case "sticker":
        kind = Content.MediaKind.STICKER;
        break;
      default:
        kind = Content.MediaKind.FILE;
        break;
    }
    String mime = o.path("mime_type").asText("application/octet-stream");
    Content.Media media = Content.Media.held(kind, mediaId, mime, null, sha256Hex(o.path("sha256").asText(null)));
    String caption = o.path("caption").asText("");
    if (!caption.isBlank()) {
      media = media.withCaption(caption);
    }
    String filename = o.path("filename").asText("");
    if (!filename.isBlank()) {
      media = media.withName(filename);
    }
    return media;
  }

  /** WhatsApp sends a media's SHA-256 base64 in webhooks (hex from the media endpoint): as hex. */
  static String sha256Hex(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    if (v.matches("[0-9a-fA-F]{64}")) {
      return v.toLowerCase(java.util.Locale.ROOT);
    }
    try {
      byte[] raw = java.util.Base64.getDecoder().decode(v);
      return raw.length == 32 ? java.util.HexFormat.of().formatHex(raw) : null;
    } catch (IllegalArgumentException e) {
      return null; // not a hash we can check: the bytes are still sent, unchecked
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
