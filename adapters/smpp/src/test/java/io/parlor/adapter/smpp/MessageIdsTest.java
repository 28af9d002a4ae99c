package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class MessageIdsTest {
  @Test
  void normalizesCaseWhitespaceAndLeadingZeros() {
    assertEquals("7f3a", MessageIds.normalize(" 007F3A "));
    assertEquals("0", MessageIds.normalize("0000"));
    assertEquals("abc-123", MessageIds.normalize("ABC-123"));
  }

  @Test
  void hexIdHasItsDecimalAsAlternate() {
    assertEquals(Set.of("2134518684"), MessageIds.alternates("7F3A2B9C"));
  }

  @Test
  void decimalIdHasBothReadingsAsAlternates() {
    // "41394" read as hex is 267156; read as decimal it is 0xa1b2
    assertEquals(Set.of("267156", "a1b2"), MessageIds.alternates("41394"));
  }

  @Test
  void hexAndDecimalSpellingsOfOneIdMeet() {
    String submitResp = "00A1B2";
    String receiptText = "0000041394";
    assertTrue(MessageIds.alternates(submitResp).contains(MessageIds.normalize(receiptText)));
    assertTrue(MessageIds.alternates(receiptText).contains(MessageIds.normalize(submitResp)));
  }

  @Test
  void otherIdsHaveNoAlternates() {
    assertTrue(MessageIds.alternates("msg-42-x").isEmpty());
    assertTrue(MessageIds.alternates("0").isEmpty());
  }
}
