package io.parlor.examples;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF with HMAC-SHA256 (RFC 5869): extract then expand. JDK 17 has no HKDF class, so this is the
 * RFC's two steps over {@link Mac}. Stateless and thread-safe.
 */
public final class Hkdf {
  /** SHA-256 output length. */
  public static final int HASH_LEN = 32;
  private static final String HMAC = "HmacSHA256";

  private Hkdf() {}

  /**
   * {@code PRK = HMAC-SHA256(salt, IKM)}; an empty or null salt is {@link #HASH_LEN} zero bytes
   * (RFC 5869 section 2.2).
   */
  public static byte[] extract(byte[] salt, byte[] ikm) {
    byte[] s = salt == null || salt.length == 0 ? new byte[HASH_LEN] : salt;
    return hmac(s, ikm);
  }

  /**
   * {@code OKM = T(1) || T(2) || ...} truncated to {@code length}, where {@code T(i) =
   * HMAC-SHA256(PRK, T(i-1) || info || i)} (RFC 5869 section 2.3).
   *
   * @param length at most 255 * 32 bytes
   */
  public static byte[] expand(byte[] prk, byte[] info, int length) {
    if (length < 0 || length > 255 * HASH_LEN) {
      throw new IllegalArgumentException("length must be 0.." + 255 * HASH_LEN);
    }
    if (prk == null || prk.length < HASH_LEN) {
      throw new IllegalArgumentException("PRK must be at least " + HASH_LEN + " bytes");
    }
    byte[] in = info == null ? new byte[0] : info;
    byte[] okm = new byte[length];
    byte[] t = new byte[0];
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(prk, HMAC));
      int done = 0;
      for (int i = 1; done < length; i++) {
        mac.update(t);
        mac.update(in);
        mac.update((byte) i);
        Arrays.fill(t, (byte) 0);
        t = mac.doFinal();
        int n = Math.min(t.length, length - done);
        System.arraycopy(t, 0, okm, done, n);
        done += n;
      }
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(HMAC + " unavailable", e);
    } finally {
      Arrays.fill(t, (byte) 0);
    }
    return okm;
  }

  /** {@code expand(extract(salt, ikm), info, length)}, wiping the intermediate PRK. */
  public static byte[] derive(byte[] salt, byte[] ikm, byte[] info, int length) {
    byte[] prk = extract(salt, ikm);
    try {
      return expand(prk, info, length);
    } finally {
      Arrays.fill(prk, (byte) 0);
    }
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(HMAC + " unavailable", e);
    }
  }
}
