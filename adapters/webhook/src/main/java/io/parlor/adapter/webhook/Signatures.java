package io.parlor.adapter.webhook;

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
 * The {@code Parlor-Signature} scheme of contract section 3: {@code t=<unix seconds>,v1=<hex
 * HMAC-SHA256(secret, "<t>." + raw body)>}. Thread-safe.
 */
public final class Signatures {
  public static final String HEADER = "Parlor-Signature";
  /** How far {@code t} may be from our clock. */
  public static final Duration MAX_SKEW = Duration.ofSeconds(300);

  private final byte[] secret;
  /** One keyed HMAC per thread: {@code Mac.getInstance} and {@code init} per call cost more than the HMAC. */
  private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

  public Signatures(String secret) {
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
  }

  /** The header value signing {@code body} at time {@code now}. */
  public String sign(byte[] body, Instant now) {
    long t = now.getEpochSecond();
    return "t=" + t + ",v1=" + HexFormat.of().formatHex(mac(t, body));
  }

  /**
   * Whether {@code header} is a valid signature of {@code body}, made within {@link #MAX_SKEW} of
   * {@code now}. Comparison is constant-time.
   */
  public boolean verify(String header, byte[] body, Instant now) {
    if (header == null) {
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
    return MessageDigest.isEqual(mac(t, body), given);
  }

  private byte[] mac(long t, byte[] body) {
    Mac mac = macs.get();
    mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
    return mac.doFinal(body); // also resets it for the next call
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac;
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
