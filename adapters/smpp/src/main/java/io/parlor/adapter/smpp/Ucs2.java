package io.parlor.adapter.smpp;

import java.nio.charset.StandardCharsets;

/**
 * UCS-2 as SMPP carries it ({@code data_coding} 8): UTF-16 big endian, so characters outside the
 * basic plane (emoji) travel as surrogate pairs, which every current handset reassembles. Stateless
 * and thread-safe.
 */
final class Ucs2 {
  private Ucs2() {}

  static byte[] encode(CharSequence text) {
    return text.toString().getBytes(StandardCharsets.UTF_16BE);
  }

  /** Decodes UTF-16BE; a trailing odd octet is ignored. */
  static String decode(byte[] octets, int offset, int length) {
    int even = length & ~1;
    return new String(octets, offset, even, StandardCharsets.UTF_16BE);
  }

  static String decode(byte[] octets) {
    return decode(octets, 0, octets.length);
  }
}
