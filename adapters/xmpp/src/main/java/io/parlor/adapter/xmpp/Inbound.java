package io.parlor.adapter.xmpp;

import io.parlor.spi.NetworkReceipt;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.EnvelopeException;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.envelope.MessageId;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Turns a {@code <message>} stanza a user sent to a JID of the component into what Parlor carries:
 * a message (text, reply, correction, retraction, reaction, media by reference, OMEMO
 * ciphertext), an event (chat state, displayed marker), a receipt of a stanza Parlor delivered
 * (XEP-0184, or an error the server bounced), or a reason to answer the user with an error.
 * Pure: no I/O, no state besides the id mapping.
 */
final class Inbound {

  /** What a stanza is to Parlor. */
  sealed interface Result {}

  /** A message to hand to the core; {@code stanzaId} is the id to answer errors under. */
  record Message(Envelope envelope, String stanzaId) implements Result {}

  /** An event to hand to the core. */
  record Evt(Event event) implements Result {}

  /** What the user's server or client reported about a stanza Parlor delivered. */
  record Receipt(NetworkReceipt receipt) implements Result {}

  /**
   * Refused before it reached the core: answer {@code stanzaId} with an error of this {@code type}
   * ({@code modify}, {@code cancel}) and {@code condition} (RFC 6120 section 8.3.3).
   */
  record Bounce(String stanzaId, String type, String condition, String text) implements Result {}

  /** Nothing to do (a chat state with nothing new, a stanza of no interest). */
  record Ignore(String why) implements Result {}

  private final Jids jids;
  private final int maxTextLength;

  Inbound(Jids jids, int maxTextLength) {
    this.jids = jids;
    this.maxTextLength = maxTextLength;
  }

  Result read(Xml.Element m, Instant now) {
    String from = m.attr("from");
    String to = m.attr("to");
    String type = m.attr("type") == null ? "normal" : m.attr("type");
    // corrections (XEP-0308) and markers name the id attribute; origin-id only when there is none
    String stanzaId = Optional.ofNullable(m.attr("id")).filter(s -> !s.isBlank())
        .or(() -> m.child("origin-id", Ns.SID).map(e -> e.attr("id"))).orElse(null);
    String answerId = m.attr("id");
    if (type.equals("error")) {
      return receiptOfError(m, now);
    }
    if (type.equals("groupchat") || type.equals("headline")) {
      return new Ignore("a " + type + " message");
    }
    Optional<Address> sender = jids.account(from);
    if (sender.isEmpty()) {
      return new Ignore("not from a user's JID");
    }
    Optional<Address> recipient = jids.addressOf(to);
    // receipts and markers name a stanza Parlor delivered
    Optional<Xml.Element> received = m.child("received", Ns.RECEIPTS);
    if (received.isPresent() && received.get().attr("id") != null) {
      String id = received.get().attr("id");
      if (!id.startsWith(Jids.DELIVERED)) {
        return new Ignore("a receipt of a stanza Parlor did not send");
      }
      return new Receipt(new NetworkReceipt(id.substring(Jids.DELIVERED.length()), id, NetworkReceipt.Outcome.DELIVERED, "", now));
    }
    if (recipient.isEmpty()) {
      return new Bounce(answerId, "cancel", "item-not-found",
          "write to a person's address at " + jids.domain() + " (a handle such as bob@" + jids.domain() + ")");
    }
    Optional<Xml.Element> displayed = m.child("displayed", Ns.MARKERS);
    String body = m.childText("body", Ns.CLIENT).orElse(null);
    if (displayed.isPresent() && body == null) {
      String id = displayed.get().attr("id");
      if (id == null || id.isBlank()) {
        return new Ignore("a marker without an id");
      }
      try {
        return new Evt(new Event.Read(sender.get(), recipient.get(), List.of(jids.reference(from, to, id)), null, now));
      } catch (IllegalArgumentException e) {
        return new Ignore("a marker of an id Parlor cannot carry");
      }
    }
    if (stanzaId == null || stanzaId.isBlank()) {
      stanzaId = "n" + UUID.randomUUID(); // no id: nothing can refer to it, nor deduplicate it
    }
    try {
      Optional<Content> content = content(m, from, to, body);
      if (content.isEmpty()) {
        Optional<Xml.Element> state = m.childIn(Ns.CHAT_STATES);
        if (state.isPresent()) {
          return new Evt(new Event.Typing(sender.get(), recipient.get(), state.get().name().equals("composing")));
        }
        return new Ignore("a message without content Parlor carries");
      }
      MessageId replyTo = m.child("reply", Ns.REPLY).map(r -> r.attr("id")).filter(s -> s != null && !s.isBlank())
          .map(id -> jids.reference(from, to, id)).orElse(null);
      MessageId id = jids.own(from, to, stanzaId);
      String nick = m.childText("nick", Ns.NICK).map(String::strip).filter(Envelope::validName).orElse(null);
      Envelope e = new Envelope(id, sender.get(), recipient.get(), now, content.get(), null, replyTo, null, false, nick);
      return new Message(e, answerId);
    } catch (EnvelopeException e) {
      return new Bounce(answerId, "modify", "bad-request", e.getMessage());
    } catch (IllegalArgumentException e) {
      return new Bounce(answerId, "modify", "bad-request", "the message's ids cannot be carried");
    }
  }

  private Optional<Content> content(Xml.Element m, String from, String to, String body) {
    for (String ns : List.of(Ns.OMEMO_LEGACY, Ns.OMEMO_2)) {
      Optional<Xml.Element> enc = m.child("encrypted", ns);
      if (enc.isPresent()) {
        // carried opaque: the element as it came, for a recipient whose client speaks OMEMO
        return Optional.of(new Content.Encrypted(Ns.scheme(ns), enc.get().toXml("").getBytes(StandardCharsets.UTF_8)));
      }
    }
    Optional<String> retracted = m.child("retract", Ns.RETRACT).map(r -> r.attr("id"))
        .or(() -> m.child("apply-to", Ns.FASTEN).filter(a -> a.child("retract", Ns.RETRACT_0).isPresent())
            .map(a -> a.attr("id")));
    if (retracted.isPresent() && !retracted.get().isBlank()) {
      return Optional.of(new Content.Delete(jids.reference(from, to, retracted.get())));
    }
    Optional<Xml.Element> reactions = m.child("reactions", Ns.REACTIONS);
    if (reactions.isPresent() && reactions.get().attr("id") != null) {
      List<Xml.Element> each = reactions.get().childrenNamed("reaction", Ns.REACTIONS);
      // the set of the user's reactions: Parlor keeps one per person, the latest
      String emoji = each.isEmpty() ? "" : each.get(each.size() - 1).text().strip();
      return Optional.of(new Content.Reaction(jids.reference(from, to, reactions.get().attr("id")), emoji));
    }
    String text = body == null ? null : withoutFallback(m, body);
    Optional<Xml.Element> replace = m.child("replace", Ns.CORRECT);
    if (replace.isPresent() && replace.get().attr("id") != null && text != null && !text.isBlank()) {
      return Optional.of(new Content.Edit(jids.reference(from, to, replace.get().attr("id")), checked(text)));
    }
    Optional<String> url = m.child("x", Ns.OOB).flatMap(x -> x.childText("url", Ns.OOB)).map(String::strip);
    if (url.isPresent() && !url.get().isEmpty()) {
      String mime = Optional.ofNullable(URLConnection.guessContentTypeFromName(url.get().replaceAll("[?#].*$", "")))
          .orElse("application/octet-stream");
      Content.Media media = Content.Media.atUrl(kindOf(mime), url.get(), mime, null, null);
      if (text != null && !text.isBlank() && !text.strip().equals(url.get())) {
        media = media.withCaption(checked(text));
      }
      return Optional.of(media);
    }
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(new Content.Text(checked(text)));
  }

  private String checked(String text) {
    if (text.codePointCount(0, text.length()) > maxTextLength) {
      throw new EnvelopeException("body", "is longer than " + maxTextLength + " characters");
    }
    return text;
  }

  /**
   * The body without what XEP-0428 marks as a fallback for the reply or the retraction (a quote
   * of the message replied to, a notice for old clients): offsets count code points.
   */
  static String withoutFallback(Xml.Element m, String body) {
    int cps = body.codePointCount(0, body.length());
    List<int[]> ranges = new java.util.ArrayList<>(); // in code points of the body as it came
    for (Xml.Element f : m.childrenNamed("fallback", Ns.FALLBACK)) {
      String forNs = f.attr("for");
      if (!Ns.REPLY.equals(forNs) && !Ns.RETRACT.equals(forNs)) {
        continue;
      }
      List<Xml.Element> bodies = f.childrenNamed("body", Ns.FALLBACK);
      if (bodies.isEmpty()) {
        return ""; // the whole body is the fallback
      }
      for (Xml.Element r : bodies) {
        try {
          int start = Integer.parseInt(r.attr("start"));
          int end = Integer.parseInt(r.attr("end"));
          if (start >= 0 && end >= start && end <= cps) {
            ranges.add(new int[] {start, end});
          }
        } catch (RuntimeException e) {
          // a range we cannot read: keep that part of the body
        }
      }
    }
    // every offset refers to the original body: cut from the last range back
    ranges.sort((a, b) -> Integer.compare(b[0], a[0]));
    String out = body;
    int limit = cps;
    for (int[] r : ranges) {
      int end = Math.min(r[1], limit);
      if (r[0] >= end) {
        continue; // overlaps one already cut
      }
      out = out.substring(0, out.offsetByCodePoints(0, r[0])) + out.substring(out.offsetByCodePoints(0, end));
      limit = r[0];
    }
    return out;
  }

  private static Content.MediaKind kindOf(String mime) {
    String m = mime.toLowerCase(Locale.ROOT);
    if (m.startsWith("image/")) {
      return Content.MediaKind.IMAGE;
    }
    if (m.startsWith("video/")) {
      return Content.MediaKind.VIDEO;
    }
    if (m.startsWith("audio/")) {
      return Content.MediaKind.AUDIO;
    }
    return Content.MediaKind.FILE;
  }

  /** An error the server (or the user's client) returned for a stanza Parlor delivered. */
  private static Result receiptOfError(Xml.Element m, Instant now) {
    String id = m.attr("id");
    if (id == null || !id.startsWith(Jids.DELIVERED)) {
      return new Ignore("an error about a stanza Parlor did not deliver");
    }
    Optional<Xml.Element> error = m.child("error", Ns.CLIENT);
    String condition = error.flatMap(e -> e.childIn(Ns.STANZAS)).map(Xml.Element::name).orElse("undefined-condition");
    String errorType = error.map(e -> e.attr("type")).orElse("cancel");
    if ("wait".equals(errorType)) {
      return new Ignore("a temporary error"); // the server keeps trying, or the user's client will fetch it
    }
    return new Receipt(new NetworkReceipt(id.substring(Jids.DELIVERED.length()), id, NetworkReceipt.Outcome.FAILED,
        condition, now));
  }
}
