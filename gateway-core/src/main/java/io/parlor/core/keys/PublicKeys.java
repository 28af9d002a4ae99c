package io.parlor.core.keys;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Validation of the public keys the directory accepts (privacy rule 5: public keys only, never a
 * private key). Stateless and thread-safe.
 *
 * <p>Scheme {@value #X25519_AESGCM_V1}: a key is accepted as exactly 32 bytes (the raw RFC 7748
 * u-coordinate, little-endian, top bit clear, below 2^255-19, not a low-order point) or as a DER
 * X.509 {@code SubjectPublicKeyInfo} for X25519 (OID 1.3.101.110), which is normalised to the raw
 * 32 bytes. Anything shaped like private key material (PKCS#8 / OneAsymmetricKey, PKCS#1, SEC1: a
 * DER SEQUENCE whose first element is an INTEGER version, or PEM text naming a private key) is
 * refused. A raw 32-byte private scalar cannot be told apart from a public key: publishing the
 * right half of the key pair stays the network's duty.
 */
public final class PublicKeys {
  /** The only scheme the directory knows so far. */
  public static final String X25519_AESGCM_V1 = "x25519-aesgcm-v1";
  /** Every scheme the directory accepts. */
  public static final Set<String> SCHEMES = Set.of(X25519_AESGCM_V1);
  /** Length of a raw X25519 public key. */
  public static final int X25519_BYTES = 32;

  private static final BigInteger P = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));
  private static final int TAG_SEQUENCE = 0x30;
  private static final int TAG_INTEGER = 0x02;

  /**
   * The canonical encodings (u below p) of the X25519 points of small order: 0, 1, the two points
   * of order 8 and p-1. An agreement with one of them yields a fixed, publicly known secret.
   */
  private static final List<byte[]> LOW_ORDER =
      List.of(
          HexFormat.of().parseHex("0000000000000000000000000000000000000000000000000000000000000000"),
          HexFormat.of().parseHex("0100000000000000000000000000000000000000000000000000000000000000"),
          HexFormat.of().parseHex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
          HexFormat.of().parseHex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
          HexFormat.of().parseHex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));

  private PublicKeys() {}

  /**
   * Why a key was refused. The message starts with the field name and never contains key
   * material.
   */
  public static final class RefusedKey extends IllegalArgumentException {
    private final boolean privateKeyMaterial;

    RefusedKey(String message, boolean privateKeyMaterial) {
      super(message);
      this.privateKeyMaterial = privateKeyMaterial;
    }

    /** Whether the refused bytes looked like a private key. */
    public boolean privateKeyMaterial() {
      return privateKeyMaterial;
    }
  }

  /**
   * The normalised (raw 32-byte) form of {@code supplied} for {@code scheme}.
   *
   * @throws RefusedKey when the scheme is unknown or the bytes are not an acceptable public key
   */
  public static byte[] normalize(String scheme, byte[] supplied) {
    if (scheme == null || !SCHEMES.contains(scheme)) {
      throw new RefusedKey("scheme: must be one of " + SCHEMES, false);
    }
    if (supplied == null || supplied.length == 0) {
      throw new RefusedKey("publicKey: is required", false);
    }
    byte[] raw;
    if (supplied.length == X25519_BYTES) {
      // 32 bytes is always read as a raw key: a DER structure is never this short, and guessing
      // at structure in random bytes could refuse a valid key
      raw = supplied.clone();
    } else {
      if (looksLikePrivateKey(supplied)) {
        throw new RefusedKey(
            "publicKey: is private key material; only public keys may be published and nothing was stored",
            true);
      }
      raw = fromSubjectPublicKeyInfo(supplied);
    }
    checkRaw(raw);
    return raw;
  }

  /**
   * Whether {@code der} is shaped like private key material: a DER SEQUENCE spanning the whole
   * input whose first element is an INTEGER (PKCS#8 PrivateKeyInfo / OneAsymmetricKey, PKCS#1
   * RSAPrivateKey and SEC1 ECPrivateKey all start with a version INTEGER; a SubjectPublicKeyInfo
   * starts with a SEQUENCE), or PEM text naming a private key.
   */
  public static boolean looksLikePrivateKey(byte[] der) {
    String ascii = new String(der, StandardCharsets.ISO_8859_1);
    if (ascii.contains("PRIVATE KEY")) {
      return true;
    }
    if (der.length < 4 || (der[0] & 0xff) != TAG_SEQUENCE) {
      return false;
    }
    int[] pos = {1};
    long len = derLength(der, pos);
    if (len < 0 || pos[0] + len != der.length) {
      return false;
    }
    if (pos[0] >= der.length || (der[pos[0]] & 0xff) != TAG_INTEGER) {
      return false;
    }
    pos[0]++;
    long intLen = derLength(der, pos);
    return intLen > 0 && pos[0] + intLen <= der.length;
  }

  /** DER length at {@code pos[0]} (advancing it), or -1 when malformed. */
  private static long derLength(byte[] b, int[] pos) {
    if (pos[0] >= b.length) {
      return -1;
    }
    int first = b[pos[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int n = first & 0x7f;
    if (n == 0 || n > 4 || pos[0] + n > b.length) {
      return -1;
    }
    long len = 0;
    for (int i = 0; i < n; i++) {
      len = (len << 8) | (b[pos[0]++] & 0xff);
    }
    return len;
  }

  private static byte[] fromSubjectPublicKeyInfo(byte[] der) {
    PublicKey key;
    try {
      key = KeyFactory.getInstance("X25519").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw notAKey();
    }
    if (!(key instanceof XECPublicKey) || !Arrays.equals(key.getEncoded(), der)) {
      throw notAKey();
    }
    return encodeU(((XECPublicKey) key).getU());
  }

  private static RefusedKey notAKey() {
    return new RefusedKey(
        "publicKey: must be a 32-byte raw X25519 public key or a DER SubjectPublicKeyInfo for X25519", false);
  }

  private static void checkRaw(byte[] raw) {
    if ((raw[X25519_BYTES - 1] & 0x80) != 0 || decodeU(raw).compareTo(P) >= 0) {
      throw new RefusedKey("publicKey: is not a canonical X25519 public key", false);
    }
    for (byte[] bad : LOW_ORDER) {
      if (Arrays.equals(bad, raw)) {
        throw new RefusedKey("publicKey: is a low-order X25519 point", false);
      }
    }
  }

  /** The JDK key for a raw 32-byte X25519 public key. */
  public static PublicKey toPublicKey(byte[] raw) throws GeneralSecurityException {
    return KeyFactory.getInstance("X25519")
        .generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, decodeU(raw)));
  }

  /** RFC 7748 decodeUCoordinate: little-endian, top bit masked. */
  static BigInteger decodeU(byte[] raw) {
    byte[] be = new byte[X25519_BYTES];
    for (int i = 0; i < X25519_BYTES; i++) {
      be[i] = raw[X25519_BYTES - 1 - i];
    }
    be[0] &= 0x7f;
    return new BigInteger(1, be);
  }

  /** RFC 7748 encodeUCoordinate: 32 bytes little-endian. */
  static byte[] encodeU(BigInteger u) {
    byte[] be = u.mod(P).toByteArray();
    byte[] out = new byte[X25519_BYTES];
    for (int i = 0; i < X25519_BYTES && i < be.length; i++) {
      out[i] = be[be.length - 1 - i];
    }
    return out;
  }
}
