package io.parlor.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.core.linking.ConversationPrefs;
import io.parlor.core.linking.Person;
import io.parlor.spi.envelope.Envelope;
import io.parlor.core.linking.ReachableBy;
import io.parlor.spi.envelope.Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Applies a {@code PUT /v1/me/preferences} body to a person; fields may be sent alone. Pure. */
final class Preferences {
  private Preferences() {}

  /** The updated person, or an error naming the field. */
  record Result(Person person, String error) {
    static Result error(String e) {
      return new Result(null, e);
    }
  }

  static Result apply(Person p, JsonNode n) {
    boolean optIn = p.optIn();
    ReachableBy by = p.reachableBy();
    List<Address> accounts = p.accounts();
    boolean plaintext = p.allowPlaintextFallback();
    Long timer = p.defaultTimerSeconds();
    String handle = p.handle();
    if (n.has("optIn")) {
      if (!n.get("optIn").isBoolean()) {
        return Result.error("optIn: must be true or false");
      }
      optIn = n.get("optIn").booleanValue();
    }
    if (n.has("reachableBy")) {
      Optional<ReachableBy> r = ReachableBy.parse(n.get("reachableBy").asText(""));
      if (r.isEmpty() || !n.get("reachableBy").isTextual()) {
        return Result.error("reachableBy: must be everyone, contacted or nobody");
      }
      by = r.get();
    }
    if (n.has("preferred")) {
      JsonNode pref = n.get("preferred");
      if (!pref.isArray()) {
        return Result.error("preferred: must be an array of your accounts, most preferred first");
      }
      List<Address> ordered = new ArrayList<>();
      for (int i = 0; i < pref.size(); i++) {
        String a = pref.get(i).asText("");
        if (!Address.isValid(a) || !accounts.contains(Address.of(a)) || ordered.contains(Address.of(a))) {
          return Result.error("preferred[" + i + "]: must be one of your accounts, listed once");
        }
        ordered.add(Address.of(a));
      }
      for (Address a : accounts) {
        if (!ordered.contains(a)) {
          ordered.add(a);
        }
      }
      accounts = ordered;
    }
    if (n.has("allowPlaintextFallback")) {
      if (!n.get("allowPlaintextFallback").isBoolean()) {
        return Result.error("allowPlaintextFallback: must be true or false");
      }
      plaintext = n.get("allowPlaintextFallback").booleanValue();
    }
    if (n.has("defaultTimerSeconds")) {
      JsonNode t = n.get("defaultTimerSeconds");
      if (t.isNull()) {
        timer = null;
      } else if (!t.isIntegralNumber() || t.asLong() < 1 || t.asLong() > UserApi.MAX_TIMER) {
        return Result.error("defaultTimerSeconds: must be null (off) or a whole number of seconds from 1 to " + UserApi.MAX_TIMER);
      } else {
        timer = t.asLong();
      }
    }
    if (n.has("handle")) {
      JsonNode h = n.get("handle");
      String v = h.isNull() ? "" : h.asText("");
      v = v.startsWith("@") ? v.substring(1) : v;
      if (v.isEmpty()) {
        handle = null;
      } else if (!h.isTextual() || !UserApi.validHandle(v)) {
        return Result.error("handle: must match [a-z0-9_.]{1,32}, or be empty to remove it");
      } else {
        handle = v;
      }
    }
    ConversationPrefs conv = p.conversation();
    boolean readReceipts = conv.sendReadReceipts();
    boolean reactionFallback = conv.reactionFallback();
    ConversationPrefs.ShowAs showAs = conv.showAs();
    String displayName = conv.displayName();
    if (n.has("sendReadReceipts")) {
      if (!n.get("sendReadReceipts").isBoolean()) {
        return Result.error("sendReadReceipts: must be true or false");
      }
      readReceipts = n.get("sendReadReceipts").booleanValue();
    }
    if (n.has("reactionFallback")) {
      if (!n.get("reactionFallback").isBoolean()) {
        return Result.error("reactionFallback: must be true or false");
      }
      reactionFallback = n.get("reactionFallback").booleanValue();
    }
    if (n.has("showAs")) {
      JsonNode v = n.get("showAs");
      Optional<ConversationPrefs.ShowAs> s = v.isTextual() ? ConversationPrefs.ShowAs.parse(v.textValue()) : Optional.empty();
      if (s.isEmpty()) {
        return Result.error("showAs: must be \"handle\" or \"relay\"");
      }
      showAs = s.get();
    }
    if (n.has("displayName")) {
      JsonNode v = n.get("displayName");
      String name = v.isNull() ? "" : v.isTextual() ? v.textValue().strip() : null;
      if (name == null || (!name.isEmpty() && !Envelope.validName(name))) {
        return Result.error("displayName: must be 1-" + Envelope.MAX_NAME
            + " characters without control characters, or empty to remove it");
      }
      displayName = name.isEmpty() ? null : name;
    }
    if (showAs == ConversationPrefs.ShowAs.HANDLE && handle == null) {
      return Result.error("showAs: \"handle\" needs a public handle; set handle first");
    }
    return new Result(
        new Person(p.id(), accounts, optIn, by, handle, plaintext, timer,
            new ConversationPrefs(readReceipts, reactionFallback, showAs, displayName)),
        null);
  }
}
