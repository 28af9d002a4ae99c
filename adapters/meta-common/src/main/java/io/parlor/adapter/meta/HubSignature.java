package io.parlor.adapter.meta;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Meta's webhook payload signature, {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app
 * secret, raw body)>}, and the subscription handshake's verify token. Thread-safe.
 *
 * <p>The MAC covers the exact bytes received: the platform sends non-ASCII text as JSON escapes
 * (backslash, {@code u}, four hex digits), and re-serialising a parsed body would change the
 * bytes, so always verify the raw body.
 * Every comparison is constant-time.
 */
public final class HubSignature {
  /** Header name as the core hands it (lower case). */
  public static final String HEADER = "x-hub-signature-256";

  private static final String PREFIX = "sha256=";

  private final byte[] appSecret;

  public HubSignature(String appSecret) {
    this.appSecret = appSecret.getBytes(StandardCharsets.UTF_8);
  }

  /** The header value signing {@code body} (used by tests and fakes of the platform). */
  public String sign(byte[] body) {
    return PREFIX + HexFormat.of().formatHex(mac(body));
  }

  /** Whether {@code header} is a valid {@code sha256=} signature of {@code body}. */
  public boolean verify(String header, byte[] body) {
    if (header == null) {
      return false;
    }
    String h = header.trim();
    if (!h.toLowerCase(Locale.ROOT).startsWith(PREFIX)) {
      return false;
    }
    byte[] given;
    try {
      given = HexFormat.of().parseHex(h.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(mac(body), given);
  }

  /**
   * Constant-time comparison of two secrets, also hiding their lengths: both sides are hashed
   * first, so the comparison always runs over 32 bytes.
   */
  public static boolean secretEquals(String expected, String given) {
    if (expected == null || given == null) {
      return false;
    }
    return MessageDigest.isEqual(sha256(expected), sha256(given));
  }

  private byte[] mac(byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(appSecret, "HmacSHA256"));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
