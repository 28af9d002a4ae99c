package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ConcatenationTest {

  @Test
  void singleGsmMessageUpTo160SeptetsHasNoHeader() throws Exception {
    Concatenation.Split s = Concatenation.split("a".repeat(160), 10, 7);
    assertEquals(Concatenation.Alphabet.GSM7, s.alphabet());
    assertFalse(s.concatenated());
    assertEquals(1, s.parts().size());
    assertEquals(160, s.parts().get(0).length);
  }

  @Test
  void splitsIntoThreeGsmPartsWithEightBitReferenceHeaders() throws Exception {
    String text = "x".repeat(153) + "y".repeat(153) + "z".repeat(10);
    Concatenation.Split s = Concatenation.split(text, 10, 0x1A7);
    assertTrue(s.concatenated());
    assertEquals(3, s.parts().size());
    for (int i = 0; i < 3; i++) {
      byte[] p = s.parts().get(i);
      assertArrayEquals(
          new byte[] {0x05, 0x00, 0x03, (byte) 0xA7, 0x03, (byte) (i + 1)}, Arrays.copyOf(p, 6), "UDH of part " + (i + 1));
    }
    assertEquals(6 + 153, s.parts().get(0).length);
    assertEquals(6 + 153, s.parts().get(1).length);
    assertEquals(6 + 10, s.parts().get(2).length);
    assertEquals(text, reassemble(s, true));
  }

  @Test
  void neverCutsAnEscapePairAcrossParts() throws Exception {
    String text = "a".repeat(152) + "€" + "b".repeat(20);
    Concatenation.Split s = Concatenation.split(text, 10, 1);
    assertEquals(2, s.parts().size());
    assertEquals(6 + 152, s.parts().get(0).length, "the € does not fit in 153 septets after 152");
    assertArrayEquals(HexFormat.of().parseHex("1B65"), Arrays.copyOfRange(s.parts().get(1), 6, 8));
    assertEquals(text, reassemble(s, true));
  }

  @Test
  void extensionCharactersCountDoubleForTheSingleMessageLimit() throws Exception {
    assertEquals(1, Concatenation.countParts("€".repeat(80)));
    assertEquals(2, Concatenation.countParts("€".repeat(81)));
  }

  @Test
  void usesUcs2WhenOneCharacterIsOutsideGsmAnd70CharsFitOneSms() throws Exception {
    Concatenation.Split one = Concatenation.split("ç" + "a".repeat(69), 10, 1);
    assertEquals(Concatenation.Alphabet.UCS2, one.alphabet());
    assertEquals((byte) 0x08, one.alphabet().dataCoding);
    assertEquals(1, one.parts().size());
    assertEquals(140, one.parts().get(0).length);
    Concatenation.Split two = Concatenation.split("ç" + "a".repeat(70), 10, 1);
    assertEquals(2, two.parts().size());
    assertEquals(6 + 134, two.parts().get(0).length);
    assertEquals(6 + 8, two.parts().get(1).length);
    assertEquals("ç" + "a".repeat(70), reassemble(two, false));
  }

  @Test
  void neverCutsASurrogatePairAcrossParts() throws Exception {
    String text = "a".repeat(66) + "😀" + "b".repeat(10);
    Concatenation.Split s = Concatenation.split(text, 10, 1);
    assertEquals(6 + 132, s.parts().get(0).length);
    assertEquals(text, reassemble(s, false));
  }

  @Test
  void refusesTextsNeedingMoreThanMaxParts() {
    Concatenation.TooLongException e =
        assertThrows(Concatenation.TooLongException.class, () -> Concatenation.split("a".repeat(1531), 10, 1));
    assertEquals(11, e.parts);
    assertEquals(10, Concatenation.countParts("a".repeat(1530)));
  }

  @Test
  void parsesEightAndSixteenBitConcatenationHeaders() {
    Concatenation.Header h8 = Concatenation.parseHeader(HexFormat.of().parseHex("050003A70302" + "6162")).orElseThrow();
    assertEquals(6, h8.length());
    assertEquals(new Concatenation.Info(0xA7, 3, 2, 8), h8.concat().orElseThrow());
    Concatenation.Header h16 = Concatenation.parseHeader(HexFormat.of().parseHex("060804BEEF0201" + "61")).orElseThrow();
    assertEquals(7, h16.length());
    assertEquals(new Concatenation.Info(0xBEEF, 2, 1, 16), h16.concat().orElseThrow());
  }

  @Test
  void skipsOtherElementsAndRejectsTruncatedHeaders() {
    // port addressing (IEI 05) then 8-bit concatenation
    Concatenation.Header h = Concatenation.parseHeader(HexFormat.of().parseHex("0B0504158A0000" + "0003010201" + "61")).orElseThrow();
    assertEquals(12, h.length());
    assertEquals(new Concatenation.Info(1, 2, 1, 8), h.concat().orElseThrow());
    assertTrue(Concatenation.parseHeader(HexFormat.of().parseHex("0500")).isEmpty());
    assertTrue(Concatenation.parseHeader(new byte[0]).isEmpty());
    assertTrue(Concatenation.parseHeader(HexFormat.of().parseHex("0224016162")).orElseThrow().concat().isEmpty());
  }

  private static String reassemble(Concatenation.Split s, boolean gsm) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] p : s.parts()) {
      all.writeBytes(Arrays.copyOfRange(p, 6, p.length));
    }
    return gsm ? Gsm7.decode(all.toByteArray()) : Ucs2.decode(all.toByteArray());
  }
}
