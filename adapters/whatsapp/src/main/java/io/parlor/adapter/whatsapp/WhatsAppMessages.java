package io.parlor.adapter.whatsapp;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.adapter.meta.SenderLabel;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.json.EnvelopeJson;
import java.io.IOException;
import java.util.List;

/**
 * The Cloud API's request bodies ({@code POST /{phone-number-id}/messages}) for each content
 * kind, mark-as-read, the typing indicator and templates. Pure, stateless, thread-safe.
 */
final class WhatsAppMessages {
  /** WhatsApp's limit for a media caption. */
  static final int MAX_CAPTION = 1024;
  /** A template's body parameter: no line breaks or tabs, at most this long. */
  static final int MAX_TEMPLATE_PARAMETER = 1000;

  private WhatsAppMessages() {}

  /** The bodies of one delivery: an optional text first, then the message; text for a template. */
  record Built(byte[] preface, byte[] body, String templateText) {}

  static Built build(String digits, Envelope e, String what) throws PermanentDeliveryException {
    Content c = e.content();
    switch (c.kind()) {
      case TEXT:
        String text = SenderLabel.prefixed(e, ((Content.Text) c).text(), what);
        if (text.length() > WhatsAppSender.PLATFORM_MAX_TEXT) {
          throw new PermanentDeliveryException(
              Reason.TOO_LONG, what + ": text with sender prefix exceeds " + WhatsAppSender.PLATFORM_MAX_TEXT + " characters");
        }
        return new Built(null, bytes(withContext(text(digits, text), e)), text);
      case MEDIA:
        return media(digits, e, (Content.Media) c, what);
      case REACTION:
        Content.Reaction r = (Content.Reaction) c;
        ObjectNode n = base(digits, "reaction");
        n.putObject("reaction").put("message_id", r.target().value()).put("emoji", r.emoji());
        return new Built(null, bytes(n), null);
      case LOCATION:
        Content.Location l = (Content.Location) c;
        ObjectNode loc = base(digits, "location");
        ObjectNode lo = loc.putObject("location");
        lo.put("latitude", l.latitude()).put("longitude", l.longitude());
        lo.put("name", l.name() == null ? "Location" : l.name());
        lo.put("address", "shared by " + SenderLabel.of(e, what));
        return new Built(null, bytes(withContext(loc, e)), null);
      default:
        // encrypted content has no business-API form; edits and deletes are not declared (the
        // core sends their fallback or drops them)
        throw new PermanentDeliveryException(
            Reason.UNSUPPORTED, what + ": WhatsApp business messages cannot carry " + c.kind().wire() + " content");
    }
  }

  private static Built media(String digits, Envelope e, Content.Media m, String what) throws PermanentDeliveryException {
    if (m.url() == null || m.encryption() != null) {
      throw new PermanentDeliveryException(Reason.UNSUPPORTED, what + ": media must come by URL, unencrypted");
    }
    String type;
    boolean caption;
    switch (m.mediaKind()) {
      case IMAGE:
        type = "image";
        caption = true;
        break;
      case VIDEO:
        type = "video";
        caption = true;
        break;
      case FILE:
        type = "document";
        caption = true;
        break;
      case STICKER:
        type = "sticker";
        caption = false;
        break;
      case AUDIO:
      case VOICE:
      default:
        type = "audio";
        caption = false;
        break;
    }
    ObjectNode n = base(digits, type);
    ObjectNode o = n.putObject(type);
    o.put("link", m.url());
    byte[] preface = null;
    if (caption) {
      String text = m.caption() == null ? SenderLabel.of(e, what) : SenderLabel.prefixed(e, m.caption(), what);
      o.put("caption", text.length() > MAX_CAPTION ? text.substring(0, MAX_CAPTION - 1) + "\u2026" : text);
      if (m.mediaKind() == Content.MediaKind.FILE && m.name() != null) {
        o.put("filename", m.name());
      }
      withContext(n, e);
    } else {
      // no caption on audio and stickers: say who sends it just before
      String label = m.mediaKind().label() + (m.caption() == null ? "" : ": " + m.caption());
      preface = bytes(withContext(text(digits, SenderLabel.prefixed(e, label, what)), e));
    }
    return new Built(preface, bytes(n), null);
  }

  /** A template with body parameters; an authentication template repeats the code in its button. */
  static byte[] template(String digits, WhatsAppConfig.Template t, List<String> parameters, boolean codeButton) {
    ObjectNode n = base(digits, "template");
    ObjectNode tpl = n.putObject("template");
    tpl.put("name", t.name());
    tpl.putObject("language").put("code", t.language());
    ArrayNode components = tpl.putArray("components");
    ArrayNode params = components.addObject().put("type", "body").putArray("parameters");
    for (String p : parameters) {
      ObjectNode param = params.addObject().put("type", "text");
      if (t.parameter() != null && !codeButton) {
        param.put("parameter_name", t.parameter());
      }
      param.put("text", p);
    }
    if (codeButton) {
      components.addObject().put("type", "button").put("sub_type", "url").put("index", "0")
          .putArray("parameters").addObject().put("type", "text").put("text", parameters.get(0));
    }
    return bytes(n);
  }

  /**
   * A text as a template parameter: WhatsApp refuses line breaks, tabs and more than four spaces in
   * a row there, and long parameters.
   */
  static String templateParameter(String text) {
    String t = text.replaceAll("[\\r\\n\\t]+", " ").replaceAll(" {4,}", "   ").strip();
    return t.length() > MAX_TEMPLATE_PARAMETER ? t.substring(0, MAX_TEMPLATE_PARAMETER - 1) + "\u2026" : t;
  }

  /** Marks {@code wamid} read; with the typing indicator when {@code typing}. */
  static byte[] markRead(String wamid, boolean typing) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.put("messaging_product", "whatsapp");
    n.put("status", "read");
    n.put("message_id", wamid);
    if (typing) {
      n.putObject("typing_indicator").put("type", "text");
    }
    return bytes(n);
  }

  private static ObjectNode text(String digits, String text) {
    ObjectNode n = base(digits, "text");
    n.putObject("text").put("body", text);
    return n;
  }

  private static ObjectNode base(String digits, String type) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    n.put("messaging_product", "whatsapp");
    n.put("to", digits);
    n.put("type", type);
    return n;
  }

  private static ObjectNode withContext(ObjectNode n, Envelope e) {
    e.replyToOpt().ifPresent(r -> n.putObject("context").put("message_id", r.value()));
    return n;
  }

  private static byte[] bytes(ObjectNode n) {
    try {
      return EnvelopeJson.mapper().writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException("JSON serialisation failed", e);
    }
  }
}
