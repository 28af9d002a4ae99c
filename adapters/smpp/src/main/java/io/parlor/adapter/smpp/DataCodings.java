package io.parlor.adapter.smpp;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Decodes inbound user data by {@code data_coding} (SMPP 3.4 5.2.19 and GSM 03.38 section 4):
 * 0 GSM 03.38 (unpacked septets), 1 IA5/ASCII, 3 Latin-1, 6 Cyrillic, 7 Hebrew, 8 UCS-2, and the
 * GSM general and message-class groups that select the 7-bit or UCS-2 alphabet. Binary (2, 4),
 * compressed and the remaining national codings are not text: empty. Stateless and thread-safe.
 */
final class DataCodings {
  private DataCodings() {}

  private enum Alphabet {
    GSM,
    ASCII,
    LATIN1,
    CYRILLIC,
    HEBREW,
    UCS2,
    NONE
  }

  static Optional<String> decode(byte dataCoding, byte[] octets) {
    switch (alphabet(dataCoding & 0xFF)) {
      case GSM:
        return Optional.of(Gsm7.decode(octets));
      case ASCII:
        return Optional.of(new String(octets, StandardCharsets.US_ASCII));
      case LATIN1:
        return Optional.of(new String(octets, StandardCharsets.ISO_8859_1));
      case CYRILLIC:
        return Optional.of(new String(octets, Charset.forName("ISO-8859-5")));
      case HEBREW:
        return Optional.of(new String(octets, Charset.forName("ISO-8859-8")));
      case UCS2:
        return Optional.of(Ucs2.decode(octets));
      default:
        return Optional.empty();
    }
  }

  private static Alphabet alphabet(int d) {
    switch (d) {
      case 0x00:
        return Alphabet.GSM;
      case 0x01:
        return Alphabet.ASCII;
      case 0x03:
        return Alphabet.LATIN1;
      case 0x06:
        return Alphabet.CYRILLIC;
      case 0x07:
        return Alphabet.HEBREW;
      case 0x08:
        return Alphabet.UCS2;
      default:
        break;
    }
    if (d >= 0x10 && (d & 0xC0) == 0x00) {
      if ((d & 0x20) != 0) {
        return Alphabet.NONE;
      }
      int a = (d >> 2) & 0x03;
      return a == 0 ? Alphabet.GSM : a == 2 ? Alphabet.UCS2 : Alphabet.NONE;
    }
    if ((d & 0xF0) == 0xF0) {
      return (d & 0x04) == 0 ? Alphabet.GSM : Alphabet.NONE;
    }
    if ((d & 0xF0) == 0xC0 || (d & 0xF0) == 0xD0) {
      return Alphabet.GSM;
    }
    return (d & 0xF0) == 0xE0 ? Alphabet.UCS2 : Alphabet.NONE;
  }
}
