package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Ucs2Test {
  @Test
  void encodesBigEndianWithSurrogatePairs() {
    assertArrayEquals(HexFormat.of().parseHex("00E700610020D83DDE00"), Ucs2.encode("ça 😀"));
  }

  @Test
  void roundTripsAndIgnoresTrailingOddOctet() {
    String s = "Привет, 世界 😀";
    assertEquals(s, Ucs2.decode(Ucs2.encode(s)));
    assertEquals("a", Ucs2.decode(HexFormat.of().parseHex("006100")));
  }
}
