package io.parlor.core.safety;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.GraphSeal;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Event;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Message franking (issue 14, item 3): verifiable reports of end-to-end encrypted messages, with
 * nothing stored. At ingress a one-to-one encrypted message carrying its sender's commitment to
 * the plaintext ({@link Content.Franking}) is stamped with a tag — a MAC, under a key derived from
 * the store's graph key and never in the database, over the commitment, the sender, the recipient,
 * the message's gateway id and the time — delivered alongside the ciphertext. A recipient who reports the message reveals
 * the plaintext and the franking key ({@link Event.Report.Opening}); {@link #verify} checks that the key opens
 * the commitment to that plaintext and that Parlor stamped that commitment for a message from that
 * sender to that reporter at that time. A forged plaintext, another sender, another recipient or
 * another time fails. Stateless and thread-safe; the methods that need the key run on a store
 * connection.
 */
public final class Franking {
  private Franking() {}

  /** The refusal of a report whose opening does not verify (HTTP 422). */
  public static final String INVALID = "franking_invalid";

  public static final String WHY = "franking: the plaintext and key do not open the commitment, or Parlor did not stamp"
      + " that commitment for a message from this sender to you at that time";

  /**
   * {@code content} stamped for a message from {@code sender} to {@code recipient} at {@code now},
   * when it is encrypted and carries a commitment (whatever tag its sender sent is replaced);
   * otherwise {@code content} unchanged.
   */
  public static Content stamp(Connection c, Content content, PartyKey sender, PartyKey recipient, String gid,
      Instant now) {
    if (!(content instanceof Content.Encrypted enc) || enc.franking() == null) {
      return content;
    }
    GraphSeal seal = GraphSeal.of(c);
    if (seal == GraphSeal.CLEAR) {
      return enc.withFranking(null); // no key to stamp with (a connection no store wraps): no franking
    }
    Instant at = now.truncatedTo(ChronoUnit.MILLIS);
    byte[] commitment = enc.franking().commitment();
    return enc.withFranking(new Content.Franking(commitment, tag(seal, commitment, sender, recipient, gid, at), at));
  }

  /**
   * Whether {@code o} opens the message {@code gid} (the one the report names) that Parlor stamped
   * from {@code sender} to {@code reporter}.
   */
  public static boolean verify(Connection c, Event.Report.Opening o, PartyKey sender, PartyKey reporter, String gid) {
    GraphSeal seal = GraphSeal.of(c);
    if (seal == GraphSeal.CLEAR || o.commitment() == null || o.key() == null || o.plaintext() == null
        || o.tag() == null || o.at() == null) {
      return false;
    }
    byte[] opened;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(o.key(), "HmacSHA256"));
      opened = mac.doFinal(o.plaintext());
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false; // an empty key: no opening
    }
    boolean commitmentOpens = MessageDigest.isEqual(opened, o.commitment());
    byte[] expected = tag(seal, o.commitment(), sender, reporter, gid, o.at()).getBytes(StandardCharsets.US_ASCII);
    boolean stamped = MessageDigest.isEqual(expected, o.tag().getBytes(StandardCharsets.US_ASCII));
    return commitmentOpens & stamped;
  }

  private static String tag(GraphSeal seal, byte[] commitment, PartyKey sender, PartyKey recipient, String gid,
      Instant at) {
    return seal.tag("franking\0" + Base64.getEncoder().encodeToString(commitment) + "\0" + sender.value() + "\0"
        + recipient.value() + "\0" + gid + "\0" + at.toEpochMilli());
  }
}
