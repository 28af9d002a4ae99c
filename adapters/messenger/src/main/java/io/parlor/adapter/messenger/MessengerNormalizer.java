package io.parlor.adapter.messenger;

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
 * Messenger Platform / Instagram webhook payload → envelopes and statuses. Pure: no I/O, no clock,
 * no logging; thread-safe.
 *
 * <p>Mapped: {@code entry[].messaging[]} events become envelopes: {@code from} = {@code
 * <network>:<sender id>} (PSID / IGSID), {@code to} = {@code <network>:<pageId>}, {@code sentAt} =
 * {@code timestamp} (milliseconds, a number), {@code replyTo} = {@code message.reply_to.mid}:
 *
 * <table>
 *   <tr><th>event</th><th>envelope id</th><th>content</th></tr>
 *   <tr><td>{@code message} with {@code text} (quick replies too)</td><td>mid</td><td>text</td></tr>
 *   <tr><td>{@code message} with an image, video, audio or file attachment (or a sticker)</td><td>mid</td>
 *       <td>media held by the platform: source = the attachment URL (the platform's CDN, fetched by
 *       the node on request), the caption from {@code text} if any</td></tr>
 *   <tr><td>{@code message_edit}</td><td>{@code <mid>#edit<n>}</td><td>edit of mid to its new text</td></tr>
 *   <tr><td>{@code message} with {@code is_deleted} (Instagram)</td><td>{@code <mid>#deleted}</td><td>delete of mid</td></tr>
 *   <tr><td>{@code reaction}</td><td>{@code <mid>#reaction<timestamp>}</td><td>reaction to mid; {@code unreact} removes</td></tr>
 * </table>
 *
 * <p>{@code read} events are read receipts ({@link WebhookBatch#reads()}: Messenger's watermark, or
 * Instagram's mid); {@code delivery} and {@code read} also become {@link MessengerStatus}es.
 * Every entry and event of a batched webhook counts.
 *
 * <p>Skipped and counted by kind in {@link WebhookBatch#skipped()} (never with content or identifiers):
 * other attachments (location, fallback, template, share, story_mention, reels, ...), echoes of
 * our own sends, unsupported messages, other events (postback, referral, optin, ...), {@code
 * standby} events (handover protocol), Messenger entries for another page, other objects, and
 * messages that cannot be mapped.
 *
 * <p>Instagram entries carry the Instagram account id, not the page id, so they are not filtered
 * by page.
 */
final class MessengerNormalizer {
  static final String SKIP_OTHER_PAGE = "other_page";
  static final String SKIP_ECHO = "echo";
  static final String SKIP_DELETED = "deleted";
  static final String SKIP_UNSUPPORTED = "unsupported";
  static final String SKIP_STANDBY = "standby";
  static final String SKIP_ATTACHMENT = "attachment";
  static final String SKIP_OTHER = "other";

  static final Set<String> KNOWN_ATTACHMENTS =
      Set.of("image", "video", "audio", "file", "location", "fallback", "template", "share",
          "story_mention", "ig_reel", "reel", "ig_post", "animated_image", "sticker");
  static final List<String> KNOWN_EVENTS =
      List.of("postback", "referral", "optin", "account_linking",
          "policy-enforcement", "pass_thread_control", "take_thread_control", "request_thread_control",
          "app_roles", "game_play", "read_receipt");

  private static final Pattern SCOPED_ID = Pattern.compile("[0-9]{1,64}");

  private final NetworkId network;
  private final Platform platform;
  private final String pageId;
  private final Address self;

  MessengerNormalizer(NetworkId network, Platform platform, String pageId) {
    this.network = network;
    this.platform = platform;
    this.pageId = pageId;
    this.self = Address.account(network, pageId);
  }

  /** Normalizes a parsed webhook body. Never throws for unexpected shapes: it skips them. */
  WebhookBatch<MessengerStatus> normalize(JsonNode root) {
    List<Envelope> messages = new ArrayList<>();
    List<MessengerStatus> statuses = new ArrayList<>();
    List<Event.Read> reads = new ArrayList<>();
    Map<String, Integer> skipped = new TreeMap<>();
    if (!platform.webhookObject().equals(root.path("object").asText())) {
      skipped.merge(WebhookBatch.SKIP_OTHER_OBJECT, 1, Integer::sum);
      return new WebhookBatch<>(messages, statuses, reads, skipped);
    }
    for (JsonNode entry : root.path("entry")) {
      if (entry.has("standby")) {
        skipped.merge(SKIP_STANDBY, Math.max(1, entry.path("standby").size()), Integer::sum);
      }
      if (platform == Platform.MESSENGER && !pageId.equals(entry.path("id").asText())) {
        if (entry.path("messaging").size() > 0) {
          skipped.merge(SKIP_OTHER_PAGE, entry.path("messaging").size(), Integer::sum);
        }
        continue;
      }
      for (JsonNode event : entry.path("messaging")) {
        event(event, messages, statuses, reads, skipped);
      }
    }
    return new WebhookBatch<>(messages, statuses, reads, skipped);
  }

  private void event(
      JsonNode ev, List<Envelope> messages, List<MessengerStatus> statuses, List<Event.Read> reads,
      Map<String, Integer> skipped) {
    if (ev.has("message") || ev.has("message_edit") || ev.has("reaction")) {
      if (ev.has("message")) {
        Optional<String> skip = skipKind(ev.path("message"));
        if (skip.isPresent()) {
          skipped.merge(skip.get(), 1, Integer::sum);
          return;
        }
      }
      Optional<Envelope> e = message(ev);
      if (e.isPresent()) {
        messages.add(e.get());
      } else {
        skipped.merge(WebhookBatch.SKIP_INVALID_MESSAGE, 1, Integer::sum);
      }
    } else if (ev.has("delivery") || ev.has("read")) {
      Optional<MessengerStatus> s = status(ev);
      if (s.isPresent()) {
        statuses.add(s.get());
        readReceipt(ev, s.get()).ifPresent(reads::add);
      } else {
        skipped.merge(WebhookBatch.SKIP_INVALID_STATUS, 1, Integer::sum);
      }
    } else {
      String kind = KNOWN_EVENTS.stream().filter(ev::has).findFirst().orElse(SKIP_OTHER);
      skipped.merge(kind, 1, Integer::sum);
    }
  }

  /**
   * A {@code read} event as the reader's read receipt: Messenger's watermark, or Instagram's mid;
   * empty for a read that names neither, or a reader that is no scoped id.
   */
  private Optional<Event.Read> readReceipt(JsonNode ev, MessengerStatus s) {
    if (s.state() != MessengerStatus.State.READ) {
      return Optional.empty();
    }
    boolean watermark = ev.path("read").has("watermark");
    if (!watermark && (s.messageIds().isEmpty() || s.messageIds().size() > Event.Read.MAX_IDS)) {
      return Optional.empty();
    }
    return senderAddress(network, ev.path("sender").path("id").asText(null))
        .map(reader -> watermark
            ? new Event.Read(reader, null, List.of(), s.at(), s.at())
            : new Event.Read(reader, null, s.messageIds(), null, s.at()));
  }

  /** Attachment types mapped to media. */
  static final Map<String, Content.MediaKind> MEDIA_ATTACHMENTS =
      Map.of("image", Content.MediaKind.IMAGE, "video", Content.MediaKind.VIDEO, "audio", Content.MediaKind.AUDIO,
          "file", Content.MediaKind.FILE, "sticker", Content.MediaKind.STICKER);

  /** Why a {@code message} is not one we map, or empty when it is one. */
  private static Optional<String> skipKind(JsonNode m) {
    if (m.path("is_echo").asBoolean(false)) {
      return Optional.of(SKIP_ECHO);
    }
    if (m.path("is_deleted").asBoolean(false)) {
      return Optional.empty();
    }
    if (m.path("is_unsupported").asBoolean(false)) {
      return Optional.of(SKIP_UNSUPPORTED);
    }
    JsonNode attachments = m.path("attachments");
    if (attachments.size() > 0) {
      String type = attachments.path(0).path("type").asText();
      if (MEDIA_ATTACHMENTS.containsKey(type) && attachments.path(0).path("payload").path("url").isTextual()) {
        return Optional.empty();
      }
      if (!m.path("text").isTextual()) {
        return Optional.of(KNOWN_ATTACHMENTS.contains(type) ? type : SKIP_ATTACHMENT);
      }
    }
    if (m.path("text").isTextual()) {
      return Optional.empty();
    }
    return Optional.of(SKIP_OTHER);
  }

  private Optional<Envelope> message(JsonNode ev) {
    try {
      Optional<Address> from = senderAddress(network, ev.path("sender").path("id").asText(null));
      if (from.isEmpty()) {
        return Optional.empty();
      }
      long millis = epochMillis(ev.path("timestamp"));
      Instant sentAt = Instant.ofEpochMilli(millis);
      MessageId id;
      Content content;
      MessageId replyTo = null;
      if (ev.has("message_edit")) {
        JsonNode edit = ev.path("message_edit");
        String mid = edit.path("mid").asText(null);
        id = messageId(mid + "#edit" + edit.path("num_edit").asInt(0));
        content = new Content.Edit(messageId(mid), edit.path("text").asText(""));
      } else if (ev.has("reaction")) {
        JsonNode r = ev.path("reaction");
        String mid = r.path("mid").asText(null);
        id = messageId(mid + "#reaction" + millis);
        boolean remove = "unreact".equals(r.path("action").asText());
        content = new Content.Reaction(messageId(mid), remove ? "" : r.path("emoji").asText(""));
      } else {
        JsonNode m = ev.path("message");
        String mid = m.path("mid").asText(null);
        if (m.path("is_deleted").asBoolean(false)) {
          id = messageId(mid + "#deleted");
          content = new Content.Delete(messageId(mid));
        } else {
          id = messageId(mid);
          content = content(m);
          String reply = m.path("reply_to").path("mid").asText(null);
          replyTo = reply == null || reply.isBlank() ? null : messageId(reply);
        }
      }
      return Optional.of(new Envelope(id, from.get(), self, sentAt, content, null, replyTo, null));
    } catch (RuntimeException e) {
      // EnvelopeException, missing id or timestamp: the message cannot be mapped.
      return Optional.empty();
    }
  }

  /**
   * Text, or media held by the platform: the attachment's CDN URL is the source (it may be
   * signed and expire; the node fetches it when the recipient asks). The webhook tells no type
   * or size: the media type is the usual one of the attachment type, and the node passes on the
   * one the CDN answers with.
   */
  private static Content content(JsonNode m) {
    JsonNode a = m.path("attachments").path(0);
    Content.MediaKind kind = MEDIA_ATTACHMENTS.get(a.path("type").asText(""));
    if (kind == null) {
      return new Content.Text(m.path("text").asText(""));
    }
    if (a.path("payload").has("sticker_id")) {
      kind = Content.MediaKind.STICKER;
    }
    String mime;
    switch (kind) {
      case IMAGE:
        mime = "image/jpeg";
        break;
      case STICKER:
        mime = "image/png";
        break;
      case VIDEO:
        mime = "video/mp4";
        break;
      case AUDIO:
        mime = "audio/mp4";
        break;
      default:
        mime = "application/octet-stream";
        break;
    }
    Content.Media media = Content.Media.held(kind, a.path("payload").path("url").asText(), mime, null, null);
    String caption = m.path("text").asText("");
    return caption.isBlank() ? media : media.withCaption(caption);
  }

  private static Optional<MessengerStatus> status(JsonNode ev) {
    try {
      boolean delivery = ev.has("delivery");
      JsonNode body = delivery ? ev.path("delivery") : ev.path("read");
      List<MessageId> ids = new ArrayList<>();
      for (JsonNode mid : body.path("mids")) {
        ids.add(messageId(mid.asText(null)));
      }
      if (body.path("mid").isTextual()) {
        ids.add(messageId(body.path("mid").asText()));
      }
      JsonNode when = body.has("watermark") ? body.path("watermark") : ev.path("timestamp");
      Instant at = Instant.ofEpochMilli(epochMillis(when));
      return Optional.of(new MessengerStatus(
          delivery ? MessengerStatus.State.DELIVERED : MessengerStatus.State.READ, ids, at));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** {@code <network>:<scoped id>} for a PSID / IGSID (digits only), or empty. */
  static Optional<Address> senderAddress(NetworkId network, String scopedId) {
    return scopedId(scopedId).map(id -> Address.account(network, id));
  }

  /** The trimmed scoped id when it is 1-64 digits, else empty. */
  static Optional<String> scopedId(String id) {
    if (id == null) {
      return Optional.empty();
    }
    String t = id.trim();
    return SCOPED_ID.matcher(t).matches() ? Optional.of(t) : Optional.empty();
  }

  /**
   * The envelope id for a platform message id. Ids that are valid {@link MessageId}s are kept as
   * they are; longer ones (Instagram mids exceed 128 characters) become {@code
   * sha256:<base64url>} of the id, stable across redeliveries. Delivery results and statuses use
   * the same form so that replies and receipts correlate.
   */
  static MessageId messageId(String platformId) {
    return GraphIds.messageId(platformId);
  }


  private static long epochMillis(JsonNode n) {
    if (n.isIntegralNumber()) {
      return n.longValue();
    }
    if (n.isTextual()) {
      return Long.parseLong(n.asText().trim());
    }
    throw new IllegalArgumentException("timestamp missing");
  }

}
