package io.parlor.examples;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code Parlor-Signature} header a network puts on every request to Parlor (contract section
 * 3): {@code t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(secret, "<t>." + raw body)>}. For a GET
 * the body is empty. JDK only.
 */
public final class ParlorSignature {
  public static final String HEADER = "Parlor-Signature";

  private ParlorSignature() {}

  /** The header value for {@code body} signed at {@code unixSeconds}. */
  public static String sign(String secret, byte[] body, long unixSeconds) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((unixSeconds + ".").getBytes(StandardCharsets.US_ASCII));
      return "t=" + unixSeconds + ",v1=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
