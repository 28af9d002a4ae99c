package io.parlor.core.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The quote a reaction's fallback shows: one line of the message's first {@value Grader#QUOTE}
 * characters. Read in one pass that stops at the cut; held here to the plain definition (blanks
 * collapsed, ends stripped, cut with an ellipsis) on generated texts full of the cases where the
 * two could part: blank runs at the cut, Unicode blanks the collapse leaves and the strip takes,
 * no-break spaces neither takes, characters outside the BMP.
 */
class GraderQuoteTest {
  private static String byDefinition(String text) {
    String oneLine = text.replaceAll("\\s+", " ").strip();
    if (oneLine.codePointCount(0, oneLine.length()) <= Grader.QUOTE) {
      return oneLine;
    }
    return oneLine.substring(0, oneLine.offsetByCodePoints(0, Grader.QUOTE)) + "\u2026";
  }

  private static final String[] PIECES = {
    "a", "b", "Z", "é", " ", "  ", "\t", "\n", "\r\n", "\u000B", "\f", "\u2003", "\u001C", "\u00A0",
    "\u202F", "\u3000", "\uD83D\uDC4D", "\uD83C\uDDEB\uDDF7", "\uD800", "ab cd", "x\u2003y",
  };

  @Test
  void aQuoteIsTheFirstFortyCharactersOfTheTextOnOneLine() {
    assertEquals("hello world", Grader.quote("  hello \n\t world \u2003"));
    assertEquals("a".repeat(40), Grader.quote("a".repeat(40) + "   \u2003 "));
    assertEquals("a".repeat(40) + "\u2026", Grader.quote("a".repeat(41)));
    assertEquals("a".repeat(39) + " \u2026", Grader.quote("a".repeat(39) + " \n b"));
    assertEquals("\uD83D\uDC4D".repeat(40) + "\u2026", Grader.quote("\uD83D\uDC4D".repeat(41)));
    assertEquals("", Grader.quote(" \n\u2003 "));
    SplittableRandom random = new SplittableRandom(17);
    for (int i = 0; i < 50_000; i++) {
      StringBuilder text = new StringBuilder();
      int pieces = random.nextInt(60);
      for (int p = 0; p < pieces; p++) {
        text.append(PIECES[random.nextInt(PIECES.length)]);
      }
      String t = text.toString();
      assertEquals(byDefinition(t), Grader.quote(t), () -> "for " + t.codePoints().mapToObj(Integer::toHexString).toList());
    }
  }
}
