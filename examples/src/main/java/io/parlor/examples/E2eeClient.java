package io.parlor.examples;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An example end-to-end encryption client for scheme {@value #SCHEME}, with the JDK only. It is
 * what a network's app would run on a user's device: Parlor only ever sees the public key and the
 * ciphertext.
 *
 * <ul>
 *   <li>Identity key: an X25519 key pair generated on the device; its private key lives only in
 *       this object's memory and has no export method. The 32-byte raw public key is what the
 *       network publishes to Parlor's key directory.
 *   <li>Encrypt to a recipient's raw public key {@code R}: a fresh ephemeral X25519 key pair
 *       {@code (e, E)}; {@code shared = X25519(e, R)}; {@code key = HKDF-SHA256(salt = E || R, IKM
 *       = shared, info = "x25519-aesgcm-v1", L = 32)}; AES-256-GCM with a random 12-byte nonce,
 *       128-bit tag and AAD {@code "x25519-aesgcm-v1"}.
 *   <li>Wire format: {@code E (32) || nonce (12) || ciphertext || tag (16)}, base64 in the
 *       envelope's {@code content.ciphertext}.
 * </ul>
 *
 * <p>Thread-safe. Ephemeral-static: there is no forward secrecy against a later theft of the
 * recipient's identity key, and no sender authentication inside the ciphertext (the network
 * authenticates its own users); see examples/README.md.
 */
public final class E2eeClient {
  /** The scheme name: envelope {@code content.scheme}, HKDF info and GCM AAD. */
  public static final String SCHEME = "x25519-aesgcm-v1";
  /** Length of a raw X25519 public key. */
  public static final int KEY_BYTES = 32;
  /** Length of the AES-GCM nonce. */
  public static final int NONCE_BYTES = 12;
  /** Length of the AES-GCM tag. */
  public static final int TAG_BYTES = 16;

  private static final byte[] SCHEME_BYTES = SCHEME.getBytes(StandardCharsets.US_ASCII);
  private static final BigInteger P = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));

  private final KeyPair identity;
  private final byte[] publicKey;
  private final SecureRandom random;

  private E2eeClient(KeyPair identity, SecureRandom random) {
    this.identity = identity;
    this.publicKey = rawPublicKey(identity.getPublic());
    this.random = random;
  }

  /** A client with a new identity key pair. */
  public static E2eeClient generate() {
    return generate(new SecureRandom());
  }

  /** A client with a new identity key pair drawn from {@code random}. */
  public static E2eeClient generate(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
      g.initialize(NamedParameterSpec.X25519, random);
      return new E2eeClient(g.generateKeyPair(), random);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("X25519 unavailable", e);
    }
  }

  /** The raw 32-byte public key (RFC 7748 encoding), to publish. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The raw public key in standard base64: the directory's {@code publicKey} field. */
  public String publicKeyBase64() {
    return Base64.getEncoder().encodeToString(publicKey);
  }

  /** Encrypts UTF-8 {@code text} to a base64 public key; answers the base64 ciphertext. */
  public String encryptText(String recipientPublicKeyBase64, String text) throws GeneralSecurityException {
    byte[] pt = text.getBytes(StandardCharsets.UTF_8);
    try {
      return Base64.getEncoder()
          .encodeToString(encrypt(Base64.getDecoder().decode(recipientPublicKeyBase64), pt, random));
    } finally {
      Arrays.fill(pt, (byte) 0);
    }
  }

  /**
   * Encrypts UTF-8 {@code text} once per group member (client-side fan-out): {@code memberKeys}
   * maps each member's handle to their base64 public key, as Parlor's key directory answers for
   * the group address ({@code members[].member}, {@code members[].publicKey}). Answers the
   * envelope's {@code content.perMember}: handle to base64 ciphertext, each with its own
   * ephemeral key, so no member can read another's copy or tell it from a fresh message.
   */
  public Map<String, String> encryptForMembers(Map<String, String> memberKeys, String text)
      throws GeneralSecurityException {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> m : memberKeys.entrySet()) {
      out.put(m.getKey(), encryptText(m.getValue(), text));
    }
    return out;
  }

  /** Decrypts a base64 ciphertext made for this client's public key to UTF-8 text. */
  public String decryptText(String ciphertextBase64) throws GeneralSecurityException {
    byte[] pt = decrypt(Base64.getDecoder().decode(ciphertextBase64));
    try {
      return new String(pt, StandardCharsets.UTF_8);
    } finally {
      Arrays.fill(pt, (byte) 0);
    }
  }

  /** Encrypts {@code plaintext} to the raw X25519 public key {@code recipient}. */
  public static byte[] encrypt(byte[] recipient, byte[] plaintext) throws GeneralSecurityException {
    return encrypt(recipient, plaintext, new SecureRandom());
  }

  /**
   * Encrypts {@code plaintext} to the raw X25519 public key {@code recipient}.
   *
   * @return {@code ephemeralPublicKey(32) || nonce(12) || ciphertext+tag}
   * @throws InvalidKeyException when {@code recipient} is not a usable X25519 public key (wrong
   *     length or a low-order point)
   */
  public static byte[] encrypt(byte[] recipient, byte[] plaintext, SecureRandom random)
      throws GeneralSecurityException {
    return sealTo(recipient, plaintext, random, false).wire();
  }

  /** HKDF info of the franking key: the same shared secret as the message key, another label. */
  public static final String FRANKING_INFO = "parlor-franking-v1";

  /**
   * A franked ciphertext (message franking, for verifiable reports): the wire bytes, and the
   * sender's commitment to the plaintext, {@code HMAC-SHA256(frankingKey, plaintext)}, sent in the
   * clear next to the ciphertext ({@code content.franking.commitment}). The franking key is
   * {@code HKDF-SHA256(salt = E || R, IKM = shared, info = "parlor-franking-v1", L = 32)}: only
   * the two ends can derive it, and revealing it reveals nothing of the message key.
   */
  public record Franked(byte[] wire, byte[] commitment) {}

  /** Encrypts {@code plaintext} to {@code recipient} and commits to it (message franking). */
  public static Franked encryptFranked(byte[] recipient, byte[] plaintext) throws GeneralSecurityException {
    return sealTo(recipient, plaintext, new SecureRandom(), true);
  }

  /** Encrypts to {@code recipient}; with {@code franked}, commits to the plaintext too (else no commitment). */
  private static Franked sealTo(byte[] recipient, byte[] plaintext, SecureRandom random, boolean franked)
      throws GeneralSecurityException {
    PublicKey to = publicKeyFromRaw(recipient);
    KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
    g.initialize(NamedParameterSpec.X25519, random);
    KeyPair ephemeral = g.generateKeyPair();
    byte[] ephemeralPublic = rawPublicKey(ephemeral.getPublic());
    byte[] shared = agree(ephemeral.getPrivate(), to);
    byte[] frankingKey = franked ? frankingKey(shared.clone(), ephemeralPublic, recipient) : null;
    byte[] key = messageKey(shared, ephemeralPublic, recipient);
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] sealed;
    try {
      Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
      aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
      aes.updateAAD(SCHEME_BYTES);
      sealed = aes.doFinal(plaintext);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    byte[] wire = new byte[KEY_BYTES + NONCE_BYTES + sealed.length];
    System.arraycopy(ephemeralPublic, 0, wire, 0, KEY_BYTES);
    System.arraycopy(nonce, 0, wire, KEY_BYTES, NONCE_BYTES);
    System.arraycopy(sealed, 0, wire, KEY_BYTES + NONCE_BYTES, sealed.length);
    if (frankingKey == null) {
      return new Franked(wire, null);
    }
    try {
      return new Franked(wire, commitment(frankingKey, plaintext));
    } finally {
      Arrays.fill(frankingKey, (byte) 0);
    }
  }

  /**
   * The franking key of a ciphertext made for this client: what a recipient reveals, with the
   * plaintext, to report the message verifiably.
   */
  public byte[] frankingKey(byte[] wire) throws GeneralSecurityException {
    if (wire == null || wire.length < KEY_BYTES + NONCE_BYTES + TAG_BYTES) {
      throw new AEADBadTagException("ciphertext too short for " + SCHEME);
    }
    byte[] ephemeralPublic = Arrays.copyOfRange(wire, 0, KEY_BYTES);
    return frankingKey(agree(identity.getPrivate(), publicKeyFromRaw(ephemeralPublic)), ephemeralPublic, publicKey);
  }

  /**
   * {@code HMAC-SHA256(frankingKey, plaintext)}: the commitment. A recipient checks it after
   * decrypting (a sender who committed to something else cannot be reported verifiably, and the
   * client should say so).
   */
  public static byte[] commitment(byte[] frankingKey, byte[] plaintext) throws GeneralSecurityException {
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(frankingKey, "HmacSHA256"));
    return mac.doFinal(plaintext);
  }

  private static byte[] frankingKey(byte[] shared, byte[] ephemeralPublic, byte[] recipientPublic) {
    byte[] salt = new byte[2 * KEY_BYTES];
    System.arraycopy(ephemeralPublic, 0, salt, 0, KEY_BYTES);
    System.arraycopy(recipientPublic, 0, salt, KEY_BYTES, KEY_BYTES);
    try {
      return Hkdf.derive(salt, shared, FRANKING_INFO.getBytes(StandardCharsets.US_ASCII), 32);
    } finally {
      Arrays.fill(shared, (byte) 0);
    }
  }

  /**
   * Decrypts a ciphertext made for this client's public key.
   *
   * @throws AEADBadTagException when it was made for another key or was altered
   */
  public byte[] decrypt(byte[] wire) throws GeneralSecurityException {
    if (wire == null || wire.length < KEY_BYTES + NONCE_BYTES + TAG_BYTES) {
      throw new AEADBadTagException("ciphertext too short for " + SCHEME);
    }
    byte[] ephemeralPublic = Arrays.copyOfRange(wire, 0, KEY_BYTES);
    byte[] nonce = Arrays.copyOfRange(wire, KEY_BYTES, KEY_BYTES + NONCE_BYTES);
    byte[] key = messageKey(agree(identity.getPrivate(), publicKeyFromRaw(ephemeralPublic)), ephemeralPublic, publicKey);
    try {
      Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
      aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
      aes.updateAAD(SCHEME_BYTES);
      return aes.doFinal(wire, KEY_BYTES + NONCE_BYTES, wire.length - KEY_BYTES - NONCE_BYTES);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** {@code HKDF-SHA256(salt = E || R, IKM = shared, info = scheme, L = 32)}; wipes {@code shared}. */
  static byte[] messageKey(byte[] shared, byte[] ephemeralPublic, byte[] recipientPublic) {
    byte[] salt = new byte[2 * KEY_BYTES];
    System.arraycopy(ephemeralPublic, 0, salt, 0, KEY_BYTES);
    System.arraycopy(recipientPublic, 0, salt, KEY_BYTES, KEY_BYTES);
    try {
      return Hkdf.derive(salt, shared, SCHEME_BYTES, 32);
    } finally {
      Arrays.fill(shared, (byte) 0);
    }
  }

  /** X25519; the JDK refuses a low-order peer key (all-zero secret) with InvalidKeyException. */
  static byte[] agree(PrivateKey mine, PublicKey theirs) throws GeneralSecurityException {
    KeyAgreement ka = KeyAgreement.getInstance("X25519");
    ka.init(mine);
    ka.doPhase(theirs, true);
    return ka.generateSecret();
  }

  /** RFC 7748 encodeUCoordinate of a JDK X25519 public key: 32 bytes, little-endian. */
  public static byte[] rawPublicKey(PublicKey key) {
    BigInteger u = ((XECPublicKey) key).getU().mod(P);
    byte[] be = u.toByteArray();
    byte[] out = new byte[KEY_BYTES];
    for (int i = 0; i < KEY_BYTES && i < be.length; i++) {
      out[i] = be[be.length - 1 - i];
    }
    return out;
  }

  /** RFC 7748 decodeUCoordinate: a JDK key from 32 raw bytes (little-endian, top bit masked). */
  public static PublicKey publicKeyFromRaw(byte[] raw) throws GeneralSecurityException {
    if (raw == null || raw.length != KEY_BYTES) {
      throw new InvalidKeyException("an X25519 public key is " + KEY_BYTES + " bytes");
    }
    byte[] be = new byte[KEY_BYTES];
    for (int i = 0; i < KEY_BYTES; i++) {
      be[i] = raw[KEY_BYTES - 1 - i];
    }
    be[0] &= 0x7f;
    return KeyFactory.getInstance("X25519")
        .generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, be)));
  }

  /** The identity private key, for this module's tests only (the leak scan). Never sent anywhere. */
  PrivateKey privateKeyForTests() {
    return identity.getPrivate();
  }

  @Override
  public String toString() {
    return "E2eeClient[" + SCHEME + "]";
  }
}
