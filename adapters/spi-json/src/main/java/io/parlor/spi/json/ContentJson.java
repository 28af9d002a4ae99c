package io.parlor.spi.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.EnvelopeException;
import io.parlor.spi.envelope.MessageId;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The {@code content} object of an envelope (contract section 3.1 and part 2, section 2).
 * Thread-safe, stateless. Every error names the field ({@code content.<field>}), never the value.
 */
final class ContentJson {
  private static final String TYPES =
      Stream.of(ContentKind.values()).map(k -> "\"" + k.wire() + "\"").collect(Collectors.joining(", "));
  private static final String MEDIA_KINDS =
      Stream.of(Content.MediaKind.values()).map(k -> "\"" + k.wire() + "\"").collect(Collectors.joining(", "));

  private ContentJson() {}

  /**
   * Reads {@code content}. {@code stored}: the store's own form, where media may be held by the
   * source network ({@code source} instead of {@code url}, size and hash unknown).
   */
  static Content read(JsonNode c, boolean stored) {
    if (c == null || c.isNull()) {
      throw new EnvelopeException("content", "is required");
    }
    if (!c.isObject()) {
      throw new EnvelopeException("content", "must be an object");
    }
    String type = EnvelopeJson.text(c, "content.type", "type", true);
    ContentKind kind =
        ContentKind.fromWire(type).orElseThrow(() -> new EnvelopeException("content.type", "must be one of " + TYPES));
    switch (kind) {
      case TEXT:
        return new Content.Text(EnvelopeJson.text(c, "content.text", "text", true));
      case ENCRYPTED:
        return encrypted(c);
      case MEDIA:
        return media(c, stored);
      case REACTION:
        return new Content.Reaction(target(c), EnvelopeJson.text(c, "content.emoji", "emoji", true));
      case EDIT:
        return new Content.Edit(target(c), EnvelopeJson.text(c, "content.text", "text", true));
      case DELETE:
        return new Content.Delete(target(c));
      case LOCATION:
      default:
        return new Content.Location(
            number(c, "latitude"), number(c, "longitude"), EnvelopeJson.text(c, "content.name", "name", false));
    }
  }

  private static Content.Encrypted encrypted(JsonNode c) {
    String scheme = EnvelopeJson.text(c, "content.scheme", "scheme", true);
    JsonNode per = c.get("perMember");
    if (per == null || per.isNull()) {
      return new Content.Encrypted(scheme, base64(c, "ciphertext", "content.ciphertext"), Map.of(), franking(c));
    }
    if (c.has("franking") && !c.get("franking").isNull()) {
      throw new EnvelopeException("content.franking", "only for a message to one recipient (content.ciphertext)");
    }
    if (!per.isObject() || per.isEmpty()) {
      throw new EnvelopeException("content.perMember", "must be a non-empty object of member handle to base64 ciphertext");
    }
    JsonNode single = c.get("ciphertext");
    if (single != null && !single.isNull()) {
      throw new EnvelopeException("content.perMember", "must not be given with content.ciphertext (one or the other)");
    }
    if (per.size() > Content.Encrypted.MAX_MEMBERS) {
      throw new EnvelopeException("content.perMember", "must not name more than " + Content.Encrypted.MAX_MEMBERS + " members");
    }
    Map<String, byte[]> ciphertexts = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> m : per.properties()) {
      if (!m.getValue().isTextual()) {
        throw new EnvelopeException("content.perMember", "every member's ciphertext must be a base64 string");
      }
      try {
        ciphertexts.put(m.getKey(), Base64.getDecoder().decode(m.getValue().textValue()));
      } catch (IllegalArgumentException ex) {
        throw new EnvelopeException("content.perMember", "every member's ciphertext must be standard base64");
      }
    }
    return new Content.Encrypted(scheme, null, ciphertexts);
  }

  /** {@code "franking": {"commitment": base64, "tag"?, "at"?}}, or null. */
  private static Content.Franking franking(JsonNode c) {
    JsonNode f = c.get("franking");
    if (f == null || f.isNull()) {
      return null;
    }
    if (!f.isObject()) {
      throw new EnvelopeException("content.franking", "must be an object: {\"commitment\": base64}");
    }
    String at = EnvelopeJson.text(f, "content.franking.at", "at", false);
    return new Content.Franking(base64(f, "commitment", "content.franking.commitment"),
        EnvelopeJson.text(f, "content.franking.tag", "tag", false),
        at == null ? null : EnvelopeJson.instant("content.franking.at", at));
  }

  private static Content.Media media(JsonNode c, boolean stored) {
    String kindWire = EnvelopeJson.text(c, "content.kind", "kind", true);
    Content.MediaKind kind =
        Content.MediaKind.fromWire(kindWire)
            .orElseThrow(() -> new EnvelopeException("content.kind", "must be one of " + MEDIA_KINDS));
    String source = stored ? EnvelopeJson.text(c, "content.source", "source", false) : null;
    String url = EnvelopeJson.text(c, "content.url", "url", source == null);
    Long size = wholeNumber(c, "size", !stored);
    String sha256 = EnvelopeJson.text(c, "content.sha256", "sha256", !stored);
    Content.MediaEncryption encryption = null;
    JsonNode enc = c.get("encryption");
    if (enc != null && !enc.isNull()) {
      if (!enc.isObject()) {
        throw new EnvelopeException("content.encryption", "must be an object {alg, key, nonce}");
      }
      encryption =
          new Content.MediaEncryption(
              EnvelopeJson.text(enc, "content.encryption.alg", "alg", true),
              base64(enc, "key", "content.encryption.key"),
              base64(enc, "nonce", "content.encryption.nonce"));
    }
    return new Content.Media(
        kind,
        source == null ? url : null,
        source,
        EnvelopeJson.text(c, "content.mimeType", "mimeType", true),
        size,
        sha256,
        EnvelopeJson.text(c, "content.name", "name", false),
        EnvelopeJson.text(c, "content.caption", "caption", false),
        encryption);
  }

  /** Writes {@code content}; {@code stored} keeps held media's {@code source}. */
  static ObjectNode write(Content content, boolean stored) {
    ObjectNode c = EnvelopeJson.mapper().createObjectNode();
    c.put("type", content.kind().wire());
    switch (content.kind()) {
      case TEXT:
        c.put("text", ((Content.Text) content).text());
        break;
      case ENCRYPTED:
        Content.Encrypted x = (Content.Encrypted) content;
        c.put("scheme", x.scheme());
        if (x.isPerMember()) {
          ObjectNode per = c.putObject("perMember");
          x.perMember().forEach((k, v) -> per.put(k, Base64.getEncoder().encodeToString(v)));
        } else {
          c.put("ciphertext", x.ciphertextBase64());
        }
        if (x.franking() != null) {
          ObjectNode f = c.putObject("franking");
          f.put("commitment", Base64.getEncoder().encodeToString(x.franking().commitment()));
          if (x.franking().tag() != null) {
            f.put("tag", x.franking().tag());
          }
          if (x.franking().at() != null) {
            f.put("at", x.franking().at().toString());
          }
        }
        break;
      case MEDIA:
        writeMedia(c, (Content.Media) content, stored);
        break;
      case REACTION:
        Content.Reaction r = (Content.Reaction) content;
        c.put("target", r.target().value());
        c.put("emoji", r.emoji());
        break;
      case EDIT:
        Content.Edit ed = (Content.Edit) content;
        c.put("target", ed.target().value());
        c.put("text", ed.text());
        break;
      case DELETE:
        c.put("target", ((Content.Delete) content).target().value());
        break;
      case LOCATION:
      default:
        Content.Location l = (Content.Location) content;
        c.put("latitude", l.latitude());
        c.put("longitude", l.longitude());
        if (l.name() != null) {
          c.put("name", l.name());
        }
        break;
    }
    return c;
  }

  private static void writeMedia(ObjectNode c, Content.Media m, boolean stored) {
    c.put("kind", m.mediaKind().wire());
    if (m.held()) {
      if (!stored) {
        throw new IllegalArgumentException("media held by its source network cannot be sent as it is");
      }
      c.put("source", m.source());
    } else {
      c.put("url", m.url());
    }
    c.put("mimeType", m.mimeType());
    if (m.byteSize() != null) {
      c.put("size", m.byteSize());
    }
    if (m.sha256() != null) {
      c.put("sha256", m.sha256());
    }
    if (m.name() != null) {
      c.put("name", m.name());
    }
    if (m.caption() != null) {
      c.put("caption", m.caption());
    }
    if (m.encryption() != null) {
      ObjectNode e = c.putObject("encryption");
      e.put("alg", m.encryption().alg());
      e.put("key", Base64.getEncoder().encodeToString(m.encryption().key()));
      e.put("nonce", Base64.getEncoder().encodeToString(m.encryption().nonce()));
    }
  }

  private static MessageId target(JsonNode c) {
    return MessageId.parse("content.target", EnvelopeJson.text(c, "content.target", "target", true));
  }

  private static byte[] base64(JsonNode n, String field, String path) {
    String b64 = EnvelopeJson.text(n, path, field, true);
    try {
      return Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException ex) {
      throw new EnvelopeException(path, "must be standard base64");
    }
  }

  private static double number(JsonNode c, String field) {
    JsonNode v = c.get(field);
    if (v == null || v.isNull()) {
      throw new EnvelopeException("content." + field, "is required");
    }
    if (!v.isNumber()) {
      throw new EnvelopeException("content." + field, "must be a number");
    }
    return v.doubleValue();
  }

  private static Long wholeNumber(JsonNode c, String field, boolean required) {
    JsonNode v = c.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new EnvelopeException("content." + field, "is required");
      }
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new EnvelopeException("content." + field, "must be a whole number of bytes");
    }
    return v.longValue();
  }
}
