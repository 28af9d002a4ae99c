package io.parlor.adapter.xmpp;

import io.parlor.spi.EventSender;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Renders what Parlor delivers as XMPP stanzas from the component: messages with their XEP
 * extensions, statuses of what users sent (receipts, markers, errors) and chat states. Pure.
 */
final class Outbound {
  static final String RETRACT_FALLBACK =
      "This person attempted to retract a previous message, but it's unsupported by your client.";
  static final String OMEMO_FALLBACK =
      "I sent you an OMEMO encrypted message but your client doesn't seem to support that.";

  private final Jids jids;

  Outbound(Jids jids) {
    this.jids = jids;
  }

  /** The stanza id Parlor delivers under: stable across retries, so a client can deduplicate. */
  static String stanzaId(String idempotencyKey) {
    return Jids.DELIVERED + idempotencyKey;
  }

  Xml.Element message(Envelope e, Address recipient, String idempotencyKey) throws PermanentDeliveryException {
    Address shownAs = e.group() != null ? e.group().id() : e.from();
    if (shownAs.kind() == Address.Kind.ACCOUNT) {
      throw new PermanentDeliveryException(PermanentDeliveryException.Reason.UNSUPPORTED,
          "an XMPP recipient sees senders as handles, not accounts");
    }
    Xml.Builder m = Xml.el("message", Ns.CLIENT)
        .attr("from", jids.jidFor(shownAs))
        .attr("to", jids.jidOf(recipient))
        .attr("type", "chat")
        .attr("id", stanzaId(idempotencyKey));
    boolean hasBody = true;
    Content c = e.content();
    if (c instanceof Content.Text t) {
      m.child(body(labelled(e, t.text())));
    } else if (c instanceof Content.Encrypted enc) {
      Xml.Element omemo = omemo(enc);
      m.child(omemo).child(body(OMEMO_FALLBACK))
          .child(Xml.el("encryption", Ns.EME).attr("namespace", omemo.ns()).attr("name", "OMEMO"));
    } else if (c instanceof Content.Media media) {
      if (media.url() == null) {
        throw new PermanentDeliveryException(PermanentDeliveryException.Reason.UNSUPPORTED,
            "media without a URL cannot be shared on XMPP");
      }
      String text = media.caption() == null ? media.url() : media.caption() + "\n" + media.url();
      m.child(body(labelled(e, text))).child(Xml.el("x", Ns.OOB).child(Xml.el("url", Ns.OOB).text(media.url())));
    } else if (c instanceof Content.Reaction r) {
      Xml.Builder reactions = Xml.el("reactions", Ns.REACTIONS).attr("id", Jids.stanzaIdOf(r.target()));
      if (!r.removal()) {
        reactions.child(Xml.el("reaction", Ns.REACTIONS).text(r.emoji()));
      }
      m.child(reactions).child(Xml.el("store", Ns.HINTS));
      hasBody = false;
    } else if (c instanceof Content.Edit edit) {
      m.child(body(labelled(e, edit.text()))).child(Xml.el("replace", Ns.CORRECT).attr("id", Jids.stanzaIdOf(edit.target())));
    } else if (c instanceof Content.Delete d) {
      m.child(Xml.el("retract", Ns.RETRACT).attr("id", Jids.stanzaIdOf(d.target())))
          .child(Xml.el("fallback", Ns.FALLBACK).attr("for", Ns.RETRACT))
          .child(body(RETRACT_FALLBACK)).child(Xml.el("store", Ns.HINTS));
    } else if (c instanceof Content.Location l) {
      m.child(body(labelled(e, "geo:" + l.latitude() + "," + l.longitude() + (l.name() == null ? "" : " " + l.name()))));
    } else {
      throw new PermanentDeliveryException(PermanentDeliveryException.Reason.UNSUPPORTED, "content of kind "
          + c.kind().wire() + " is not carried to XMPP");
    }
    if (e.replyTo() != null) {
      m.child(Xml.el("reply", Ns.REPLY).attr("id", Jids.stanzaIdOf(e.replyTo())));
    }
    if (e.fromName() != null) {
      m.child(Xml.el("nick", Ns.NICK).text(e.fromName()));
    }
    if (hasBody) {
      m.child(Xml.el("request", Ns.RECEIPTS)).child(Xml.el("markable", Ns.MARKERS));
    }
    // XEP-0359: the same id as origin-id, which some clients reference (retractions, replies)
    m.child(Xml.el("origin-id", Ns.SID).attr("id", stanzaId(idempotencyKey)));
    return m.build();
  }

  /** In a group, the body says who wrote ({@code "[Climbing] @alice: text"}). */
  private static String labelled(Envelope e, String text) {
    if (e.group() == null) {
      return text;
    }
    return e.group().label(e.fromName() != null ? e.fromName() : e.from().value()) + ": " + text;
  }

  private static Xml.Builder body(String text) {
    return Xml.el("body", Ns.CLIENT).text(text);
  }

  /** The OMEMO element as the sender's client made it, checked to be one and nothing else. */
  private static Xml.Element omemo(Content.Encrypted enc) throws PermanentDeliveryException {
    if (enc.ciphertext() == null) {
      throw new PermanentDeliveryException(PermanentDeliveryException.Reason.UNSUPPORTED,
          "per-member ciphertexts are not carried to XMPP");
    }
    String ns = Ns.omemoNamespace(enc.scheme());
    try {
      Xml.Element el = Xml.parse(new String(enc.ciphertext(), StandardCharsets.UTF_8));
      if (!el.name().equals("encrypted") || !el.ns().equals(ns)) {
        throw new PermanentDeliveryException(PermanentDeliveryException.Reason.CONTENT_REJECTED,
            "the " + enc.scheme() + " ciphertext is not an OMEMO <encrypted> element");
      }
      return el;
    } catch (javax.xml.stream.XMLStreamException e) {
      throw new PermanentDeliveryException(PermanentDeliveryException.Reason.CONTENT_REJECTED,
          "the " + enc.scheme() + " ciphertext is not XML");
    }
  }

  /**
   * The status of a message a user sent, shown to them from the JID they wrote to: a delivery
   * receipt (XEP-0184), a displayed marker (XEP-0333), or an error naming the message.
   */
  static Xml.Element status(StatusReport report, String fromJid, String toJid, String stanzaId) {
    Xml.Builder m = Xml.el("message", Ns.CLIENT).attr("from", fromJid).attr("to", toJid);
    return switch (report.status()) {
      case DELIVERED -> m.attr("id", "r." + UUID.randomUUID())
          .child(Xml.el("received", Ns.RECEIPTS).attr("id", stanzaId)).build();
      case READ -> m.attr("id", "r." + UUID.randomUUID()).attr("type", "chat")
          .child(Xml.el("displayed", Ns.MARKERS).attr("id", stanzaId)).child(Xml.el("store", Ns.HINTS)).build();
      case FAILED, EXPIRED, REJECTED -> m.attr("id", stanzaId).attr("type", "error")
          .child(error("cancel", report.status() == StatusReport.Status.REJECTED ? "not-acceptable" : "recipient-unavailable",
              report.status().wire() + (report.reason().isEmpty() ? "" : ": " + report.reason())))
          .build();
    };
  }

  /** An error stanza answering the message {@code id} a user sent. */
  static Xml.Element bounce(String fromJid, String toJid, String id, String type, String condition, String text) {
    return Xml.el("message", Ns.CLIENT).attr("from", fromJid).attr("to", toJid).attr("id", id).attr("type", "error")
        .child(error(type, condition, text)).build();
  }

  static Xml.Element error(String type, String condition, String text) {
    Xml.Builder e = Xml.el("error", Ns.CLIENT).attr("type", type).child(Xml.el(condition, Ns.STANZAS));
    if (text != null && !text.isEmpty()) {
      e.child(Xml.el("text", Ns.STANZAS).attr("xml:lang", "en").text(text));
    }
    return e.build();
  }

  /** A chat state (XEP-0085): composing, or paused when they stopped. */
  Xml.Element typing(EventSender.TypingNotice notice) {
    Address shownAs = notice.group() != null ? notice.group() : notice.from();
    return Xml.el("message", Ns.CLIENT).attr("from", jids.jidFor(shownAs)).attr("to", jids.jidOf(notice.recipient()))
        .attr("type", "chat").attr("id", "t." + UUID.randomUUID())
        .child(Xml.el(notice.on() ? "composing" : "paused", Ns.CHAT_STATES)).child(Xml.el("no-store", Ns.HINTS))
        .build();
  }
}
