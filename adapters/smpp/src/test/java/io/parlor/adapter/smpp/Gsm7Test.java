package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Gsm7Test {
  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  @Test
  void encodesBasicTableAsUnpackedSeptets() {
    assertArrayEquals(hex("48 65 6C 6C 6F 20 40 00"), Gsm7.encode("Hello ¡@"));
    assertArrayEquals(hex("01 02 03 04 05 0B 10 11 1F 24 5F 60 7F 0A 0D"), Gsm7.encode("£$¥èéØΔ_É¤§¿à\n\r"));
  }

  @Test
  void encodesEveryExtensionCharacterAsEscapePair() {
    assertArrayEquals(hex("1B65"), Gsm7.encode("€"));
    assertArrayEquals(hex("1B3C"), Gsm7.encode("["));
    assertArrayEquals(hex("1B3E"), Gsm7.encode("]"));
    assertArrayEquals(hex("1B28"), Gsm7.encode("{"));
    assertArrayEquals(hex("1B29"), Gsm7.encode("}"));
    assertArrayEquals(hex("1B3D"), Gsm7.encode("~"));
    assertArrayEquals(hex("1B14"), Gsm7.encode("^"));
    assertArrayEquals(hex("1B40"), Gsm7.encode("|"));
    assertArrayEquals(hex("1B2F"), Gsm7.encode("\\"));
    assertArrayEquals(hex("1B0A"), Gsm7.encode("\f"));
  }

  @Test
  void extensionCharactersCountTwoSeptets() {
    assertEquals(5, Gsm7.length("abcde"));
    assertEquals(9 * 2 + 1, Gsm7.length("€[]{}~^|\\a"));
    assertEquals(2, Gsm7.septets('€'));
    assertEquals(1, Gsm7.septets('@'));
    assertEquals(0, Gsm7.septets('ç'));
  }

  @Test
  void roundTripsEveryEncodableCharacter() {
    String all =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà€[]{}~^|\\\f";
    assertTrue(Gsm7.canEncode(all));
    assertEquals(all, Gsm7.decode(Gsm7.encode(all)));
  }

  @Test
  void rejectsCharactersOutsideTheAlphabet() {
    assertFalse(Gsm7.canEncode("ça va"));
    assertFalse(Gsm7.canEncode("hi 😀"));
    assertFalse(Gsm7.canEncode("`backtick`"));
    assertFalse(Gsm7.canEncode("\u001b"));
    assertThrows(IllegalArgumentException.class, () -> Gsm7.encode("ç"));
  }

  @Test
  void decodesUnknownEscapeAsBasicCharacterAndIgnoresHighBit() {
    assertEquals("A", Gsm7.decode(hex("1B41")));
    assertEquals("a", Gsm7.decode(hex("E1")));
    assertEquals("ab", Gsm7.decode(hex("61621B")));
  }
}
