package io.parlor.adapter.smpp;

import java.io.ByteArrayOutputStream;

/**
 * The GSM 03.38 default alphabet with its extension table, one septet per octet ("unpacked"), which
 * is how SMPP carries {@code data_coding} 0: the SMSC packs septets for the radio interface.
 * Stateless and thread-safe.
 *
 * <p>Extension characters ({@code € [ ] { } ~ ^ | \} and form feed) take two septets: the escape
 * {@code 0x1B} followed by their code, so they count twice against the 160 / 153 septet limits.
 */
final class Gsm7 {
  /** Escape to the extension table. */
  static final int ESC = 0x1B;

  /** Index = septet value. 0x1B is the escape and maps to no character. */
  private static final String BASIC =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

  private static final String EXT_CHARS = "\f^{}\\[~]|€";
  private static final int[] EXT_CODES = {0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65};

  /** Septet code of each Latin-1 character (-1: none), so the hot path needs no search. */
  private static final int[] LATIN1 = new int[256];

  static {
    java.util.Arrays.fill(LATIN1, -1);
    for (int i = 0; i < BASIC.length(); i++) {
      char c = BASIC.charAt(i);
      if (c < 256 && i != ESC) {
        LATIN1[c] = i;
      }
    }
  }

  private Gsm7() {}

  private static int basic(char c) {
    if (c < 256) {
      return LATIN1[c];
    }
    return c == ESC ? -1 : BASIC.indexOf(c);
  }

  /** Septets {@code c} takes: 1 (basic table), 2 (extension table) or 0 (not encodable). */
  static int septets(char c) {
    if (basic(c) >= 0) {
      return 1;
    }
    return EXT_CHARS.indexOf(c) >= 0 ? 2 : 0;
  }

  /** Whether every character of {@code text} is in the default alphabet or its extension. */
  static boolean canEncode(CharSequence text) {
    for (int i = 0; i < text.length(); i++) {
      if (septets(text.charAt(i)) == 0) {
        return false;
      }
    }
    return true;
  }

  /** Septet count of {@code text}; the text must be encodable. */
  static int length(CharSequence text) {
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      n += septets(text.charAt(i));
    }
    return n;
  }

  /** Encodes one character (1 or 2 septets). */
  static byte[] encode(char c) {
    int basic = basic(c);
    if (basic >= 0) {
      return new byte[] {(byte) basic};
    }
    int ext = EXT_CHARS.indexOf(c);
    if (ext < 0) {
      throw new IllegalArgumentException("character U+" + Integer.toHexString(c) + " is not in GSM 03.38");
    }
    return new byte[] {(byte) ESC, (byte) EXT_CODES[ext]};
  }

  /** Encodes {@code text} as unpacked septets. */
  static byte[] encode(CharSequence text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      out.writeBytes(encode(text.charAt(i)));
    }
    return out.toByteArray();
  }

  /**
   * Decodes unpacked septets. The high bit of each octet is ignored. An escape followed by a code
   * without extension character decodes as that code's basic character (03.38 section 6.2.1.1); a
   * trailing escape is dropped.
   */
  static String decode(byte[] septets, int offset, int length) {
    StringBuilder sb = new StringBuilder(length);
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      int s = septets[i] & 0x7F;
      if (s != ESC) {
        sb.append(BASIC.charAt(s));
        continue;
      }
      if (++i >= end) {
        break;
      }
      int code = septets[i] & 0x7F;
      char ext = extension(code);
      sb.append(ext != 0 ? ext : (code == ESC ? ' ' : BASIC.charAt(code)));
    }
    return sb.toString();
  }

  static String decode(byte[] septets) {
    return decode(septets, 0, septets.length);
  }

  private static char extension(int code) {
    for (int i = 0; i < EXT_CODES.length; i++) {
      if (EXT_CODES[i] == code) {
        return EXT_CHARS.charAt(i);
      }
    }
    return 0;
  }
}
