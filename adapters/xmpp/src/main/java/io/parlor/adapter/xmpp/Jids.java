package io.parlor.adapter.xmpp;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How Parlor's addresses and message ids look on XMPP.
 *
 * <p>People on other networks appear as JIDs of the component's domain: a public handle {@code
 * @bob} as {@code bob@parlor.example}, a relay handle {@code ~k3xq} as {@code ~k3xq@parlor.example}
 * ({@code ~} is allowed in a localpart, and no handle starts with it). An XMPP user is the account
 * address {@code xmpp:alice@example.org}: their bare JID, lowercased.
 *
 * <p>XMPP clients choose their message ids, so two users may send the same one: the id Parlor
 * stores for a message a user sent is {@code <to's localpart>/<tag>/<id>}, where the tag is a MAC
 * of the user's bare JID (stable, and no JID in the store). A reference a user sends (a reply,
 * correction, reaction, marker) to their own message maps the same way; a reference to a message
 * Parlor delivered names that delivery's id, {@code p.<gateway id>}, and is taken as it is.
 */
final class Jids {
  /** The prefix of the ids Parlor gives the stanzas it delivers. */
  static final String DELIVERED = "p.";
  private static final int MAX_STANZA_ID = 64;

  private final String domain;
  private final NetworkId network;
  private final byte[] tagKey;

  Jids(String domain, NetworkId network, String secret) {
    this.domain = domain.toLowerCase(Locale.ROOT);
    this.network = network;
    this.tagKey = hmac(secret.getBytes(StandardCharsets.UTF_8), "parlor-xmpp-id-v1");
  }

  String domain() {
    return domain;
  }

  /** The bare JID of a full or bare JID, lowercased; empty when it has no localpart or domain. */
  static Optional<String> bare(String jid) {
    if (jid == null) {
      return Optional.empty();
    }
    int slash = jid.indexOf('/');
    String b = (slash < 0 ? jid : jid.substring(0, slash)).toLowerCase(Locale.ROOT);
    int at = b.indexOf('@');
    if (at <= 0 || at == b.length() - 1 || b.indexOf('@', at + 1) >= 0) {
      return Optional.empty();
    }
    return Optional.of(b);
  }

  /** The account address of a user's JID; empty when it is not a user's JID of another domain. */
  Optional<Address> account(String jid) {
    return bare(jid).filter(b -> !b.endsWith("@" + domain)).filter(b -> Address.isValid(network.value() + ":" + b))
        .map(b -> Address.account(network, b));
  }

  /** The JID of an account address of this network (its bare JID). */
  String jidOf(Address account) {
    return account.account();
  }

  /** The JID that shows {@code address} (a handle or relay handle) on XMPP. */
  String jidFor(Address address) {
    return switch (address.kind()) {
      case HANDLE -> address.value().substring(1) + "@" + domain;
      case RELAY -> address.value() + "@" + domain;
      case ACCOUNT -> throw new IllegalArgumentException("an account is not shown as a JID of the component");
    };
  }

  /**
   * The address a JID of the component's domain stands for; empty for the domain itself or a
   * localpart that is no handle.
   */
  Optional<Address> addressOf(String jid) {
    Optional<String> b = bare(jid);
    if (b.isEmpty() || !b.get().endsWith("@" + domain)) {
      return Optional.empty();
    }
    String local = b.get().substring(0, b.get().indexOf('@'));
    String value = local.startsWith("~") ? local : "@" + local;
    return Address.isValid(value) ? Optional.of(Address.of(value)) : Optional.empty();
  }

  /** The stored id of a message {@code from} (a user's JID) sent to {@code to} (a component JID). */
  MessageId own(String from, String to, String stanzaId) {
    String local = bare(to).map(b -> b.substring(0, b.indexOf('@'))).orElse("");
    return new MessageId(local + "/" + tag(from) + "/" + shortened(stanzaId));
  }

  /** The id a reference names: one Parlor delivered as it is, else one of the user's own. */
  MessageId reference(String from, String to, String id) {
    if (id.startsWith(DELIVERED) && id.length() <= MessageId.MAX_LENGTH && id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      return MessageId.of(id);
    }
    return own(from, to, id);
  }

  /** The stanza id a user knows for a message id Parlor gives this network. */
  static String stanzaIdOf(MessageId id) {
    String v = id.value();
    int first = v.indexOf('/');
    int second = first < 0 ? -1 : v.indexOf('/', first + 1);
    return second < 0 ? v : v.substring(second + 1);
  }

  /** The parts of an id from {@link #own}: the localpart written to, the tag, the stanza id. */
  static Optional<String[]> ownParts(MessageId id) {
    String[] p = id.value().split("/", 3);
    return p.length == 3 ? Optional.of(p) : Optional.empty();
  }

  /** The tag of a user's bare JID (16 hex digits). */
  String tag(String jid) {
    String b = bare(jid).orElse(jid == null ? "" : jid.toLowerCase(Locale.ROOT));
    byte[] mac = hmac(tagKey, b);
    return HexFormat.of().formatHex(mac, 0, 8);
  }

  /** A stanza id fit for a message id: as it is, or its hash when long or odd. */
  private static String shortened(String stanzaId) {
    boolean plain = stanzaId.length() <= MAX_STANZA_ID && stanzaId.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    if (plain) {
      return stanzaId;
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(stanzaId.getBytes(StandardCharsets.UTF_8));
      return "h" + HexFormat.of().formatHex(h, 0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
