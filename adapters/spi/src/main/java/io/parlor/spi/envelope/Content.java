package io.parlor.spi.envelope;

import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Message content: plaintext from networks without end-to-end encryption, or an opaque encrypted
 * payload the gateway routes without being able to read.
 */
public sealed interface Content permits Content.Text, Content.Encrypted {

  /** Size in bytes that the content occupies (UTF-8 text or decoded ciphertext). */
  int size();

  /** Plain text. */
  record Text(String text) implements Content {
    public Text {
      if (text == null || text.isEmpty()) {
        throw new EnvelopeException("content.text", "is required and must not be empty");
      }
    }

    @Override
    public int size() {
      return text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
  }

  /**
   * End-to-end encrypted payload, opaque to Parlor.
   *
   * @param scheme the encryption scheme, e.g. {@code x25519-aesgcm-v1}
   * @param ciphertext the payload bytes (base64 on the wire); never inspected
   */
  record Encrypted(String scheme, byte[] ciphertext) implements Content {
    private static final Pattern SCHEME = Pattern.compile("[a-z0-9][a-z0-9.-]{0,63}");

    public Encrypted {
      if (scheme == null || !SCHEME.matcher(scheme).matches()) {
        throw new EnvelopeException("content.scheme", "must match [a-z0-9][a-z0-9.-]{0,63}");
      }
      if (ciphertext == null || ciphertext.length == 0) {
        throw new EnvelopeException("content.ciphertext", "is required and must not be empty");
      }
      ciphertext = ciphertext.clone();
    }

    @Override
    public byte[] ciphertext() {
      return ciphertext.clone();
    }

    public String ciphertextBase64() {
      return Base64.getEncoder().encodeToString(ciphertext);
    }

    @Override
    public int size() {
      return ciphertext.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Encrypted e
          && e.scheme.equals(scheme)
          && java.util.Arrays.equals(e.ciphertext, ciphertext);
    }

    @Override
    public int hashCode() {
      return scheme.hashCode() * 31 + java.util.Arrays.hashCode(ciphertext);
    }

    @Override
    public String toString() {
      return "Encrypted[scheme=" + scheme + ", bytes=" + ciphertext.length + "]";
    }
  }
}
