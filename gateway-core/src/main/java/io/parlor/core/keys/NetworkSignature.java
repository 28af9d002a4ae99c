package io.parlor.core.keys;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code Parlor-Signature} scheme of contract section 3, as the key directory checks it:
 * {@code t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(secret, "<t>." + raw body)>}, at most
 * {@link #MAX_SKEW} from our clock, compared in constant time. (The core must not depend on the
 * webhook adapter, so this is a copy of its few lines.) Stateless and thread-safe.
 */
public final class NetworkSignature {
  public static final String HEADER = "Parlor-Signature";
  public static final Duration MAX_SKEW = Duration.ofSeconds(300);

  private NetworkSignature() {}

  /** The header value signing {@code body} at {@code now}. */
  public static String sign(String secret, byte[] body, Instant now) {
    long t = now.getEpochSecond();
    return "t=" + t + ",v1=" + HexFormat.of().formatHex(mac(secret, t, body));
  }

  /** Whether {@code header} signs {@code body} with {@code secret} within the allowed skew. */
  public static boolean verify(String secret, String header, byte[] body, Instant now) {
    if (secret == null || secret.isEmpty() || header == null) {
      return false;
    }
    Long t = null;
    byte[] given = null;
    for (String part : header.split(",")) {
      String p = part.trim();
      if (p.startsWith("t=")) {
        try {
          t = Long.parseLong(p.substring(2));
        } catch (NumberFormatException e) {
          return false;
        }
      } else if (p.startsWith("v1=") && given == null) {
        try {
          given = HexFormat.of().parseHex(p.substring(3));
        } catch (IllegalArgumentException e) {
          return false;
        }
      }
    }
    if (t == null || given == null) {
      return false;
    }
    if (Math.abs(now.getEpochSecond() - t) > MAX_SKEW.getSeconds()) {
      return false;
    }
    return MessageDigest.isEqual(mac(secret, t, body), given);
  }

  private static byte[] mac(String secret, long t, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
