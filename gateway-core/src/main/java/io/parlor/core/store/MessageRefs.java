package io.parlor.core.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.json.EnvelopeJson;
import java.io.IOException;
import java.util.Objects;

/**
 * The messages a queued message refers to (its {@code replyTo} and its content's target), in
 * Parlor's own terms: each as its author's network knows it, and whether its author is this
 * message's sender or its recipient. At delivery the core translates each into the id the
 * destination network knows (contract part 2, section 1). Immutable.
 *
 * @param replyTo the message answered, or null
 * @param target the message a reaction, edit or delete acts on, or null
 * @param targetRemoved a delete whose target was still queued: ingress removed it, so the
 *     recipient never saw it and there is nothing left to delete
 */
public record MessageRefs(Ref replyTo, Ref target, boolean targetRemoved) {

  /** Who wrote the referenced message, seen from the message that refers to it. */
  public enum Author {
    SENDER,
    RECIPIENT,
    /** In a group: another member wrote it (neither this message's sender nor its recipient). */
    MEMBER
  }

  /** A referenced message: {@code id} on {@code network}, the network of its author. */
  public record Ref(NetworkId network, MessageId id, Author author) {
    public Ref {
      Objects.requireNonNull(network);
      Objects.requireNonNull(id);
      Objects.requireNonNull(author);
    }
  }

  public static final MessageRefs NONE = new MessageRefs(null, null, false);

  public boolean isEmpty() {
    return replyTo == null && target == null;
  }

  /** Whether translating needs the store (a reference to a message the sender, or another group member, wrote). */
  public boolean needsLookup() {
    return (replyTo != null && replyTo.author() != Author.RECIPIENT)
        || (target != null && target.author() != Author.RECIPIENT && !targetRemoved);
  }

  String toJson() {
    if (isEmpty()) {
      return null;
    }
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    if (replyTo != null) {
      n.set("r", refJson(replyTo));
    }
    if (target != null) {
      n.set("t", refJson(target));
    }
    if (targetRemoved) {
      n.put("x", true);
    }
    return n.toString();
  }

  static MessageRefs fromJson(String json) {
    if (json == null) {
      return NONE;
    }
    try {
      JsonNode n = EnvelopeJson.mapper().readTree(json);
      return new MessageRefs(ref(n.get("r")), ref(n.get("t")), n.path("x").asBoolean(false));
    } catch (IOException | RuntimeException e) {
      throw new StoreException("unreadable message references", e);
    }
  }

  private static ObjectNode refJson(Ref r) {
    ObjectNode o = EnvelopeJson.mapper().createObjectNode();
    o.put("n", r.network().value());
    o.put("i", r.id().value());
    o.put("a", r.author() == Author.SENDER ? "s" : r.author() == Author.MEMBER ? "m" : "r");
    return o;
  }

  private static Ref ref(JsonNode o) {
    if (o == null || o.isNull()) {
      return null;
    }
    return new Ref(
        NetworkId.of(o.get("n").asText()), MessageId.of(o.get("i").asText()),
        switch (o.get("a").asText()) {
          case "s" -> Author.SENDER;
          case "m" -> Author.MEMBER;
          default -> Author.RECIPIENT;
        });
  }
}
