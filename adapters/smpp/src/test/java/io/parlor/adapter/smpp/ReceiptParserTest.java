package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.smpp.DeliveryReceipt.State;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReceiptParserTest {

  @Test
  void parsesTheStandardReceiptText() {
    DeliveryReceipt r =
        ReceiptParser.parse(
                "id:0123456789 sub:001 dlvrd:001 submit date:2611291000 done date:2611291001 stat:DELIVRD err:000 text:Hello world")
            .orElseThrow();
    assertEquals("0123456789", r.messageId());
    assertEquals(State.DELIVERED, r.state());
    assertEquals("000", r.error());
    assertEquals(LocalDateTime.of(2026, 11, 29, 10, 0), r.submitDate());
    assertEquals(LocalDateTime.of(2026, 11, 29, 10, 1), r.doneDate());
  }

  @Test
  void parsesHexIdsSecondsInDatesAndMixedCase() {
    DeliveryReceipt r =
        ReceiptParser.parse(
                "id:7F3A2B9C sub:001 dlvrd:000 Submit date:261129100005 Done date:261129100107 Stat:UNDELIV Err:0B Text:")
            .orElseThrow();
    assertEquals("7F3A2B9C", r.messageId());
    assertEquals(State.UNDELIVERABLE, r.state());
    assertEquals("0B", r.error());
    assertEquals(LocalDateTime.of(2026, 11, 29, 10, 1, 7), r.doneDate());
  }

  @Test
  void mapsEveryStatSpelling() {
    assertEquals(State.DELIVERED, stat("DELIVRD"));
    assertEquals(State.EXPIRED, stat("EXPIRED"));
    assertEquals(State.DELETED, stat("DELETED"));
    assertEquals(State.UNDELIVERABLE, stat("UNDELIV"));
    assertEquals(State.ACCEPTED, stat("ACCEPTD"));
    assertEquals(State.UNKNOWN, stat("UNKNOWN"));
    assertEquals(State.REJECTED, stat("REJECTD"));
    assertEquals(State.ENROUTE, stat("ENROUTE"));
    assertEquals(State.UNDELIVERABLE, stat("FAILED"));
  }

  @Test
  void mapsStatesToOutcomes() {
    assertEquals(SmsReceipt.Outcome.DELIVERED, State.DELIVERED.outcome());
    assertEquals(SmsReceipt.Outcome.EXPIRED, State.EXPIRED.outcome());
    assertEquals(SmsReceipt.Outcome.FAILED, State.UNDELIVERABLE.outcome());
    assertEquals(SmsReceipt.Outcome.FAILED, State.REJECTED.outcome());
    assertEquals(SmsReceipt.Outcome.FAILED, State.DELETED.outcome());
    assertNull(State.ENROUTE.outcome());
    assertNull(State.ACCEPTED.outcome());
  }

  @Test
  void refusesTextWithoutIdOrStat() {
    assertTrue(ReceiptParser.parse("hello there").isEmpty());
    assertTrue(ReceiptParser.parse("id:123 sub:001").isEmpty());
    assertTrue(ReceiptParser.parse("stat:DELIVRD").isEmpty());
  }

  @Test
  void tlvsWinOverTheText() {
    Map<Integer, byte[]> tlvs = new HashMap<>();
    tlvs.put(InboundPdu.TLV_RECEIPTED_MESSAGE_ID, "a1b2\0".getBytes(StandardCharsets.US_ASCII));
    tlvs.put(InboundPdu.TLV_MESSAGE_STATE, new byte[] {3});
    InboundPdu pdu = receipt("id:41394 sub:001 dlvrd:000 submit date:2611291000 done date:2611291001 stat:DELIVRD err:000", tlvs);
    DeliveryReceipt r = ReceiptParser.fromPdu(pdu).orElseThrow();
    assertEquals("a1b2", r.messageId());
    assertEquals(State.EXPIRED, r.state());
    assertEquals("000", r.error());
  }

  @Test
  void tlvsAloneAreEnough() {
    Map<Integer, byte[]> tlvs = new HashMap<>();
    tlvs.put(InboundPdu.TLV_RECEIPTED_MESSAGE_ID, "99\0".getBytes(StandardCharsets.US_ASCII));
    tlvs.put(InboundPdu.TLV_MESSAGE_STATE, new byte[] {5});
    tlvs.put(InboundPdu.TLV_NETWORK_ERROR_CODE, HexFormat.of().parseHex("030001"));
    DeliveryReceipt r = ReceiptParser.fromPdu(receipt("", tlvs)).orElseThrow();
    assertEquals("99", r.messageId());
    assertEquals(State.UNDELIVERABLE, r.state());
    assertEquals("3:1", r.error());
  }

  @Test
  void classifiesReceiptsByEsmClassOrTlv() {
    assertTrue(ReceiptParser.isReceipt(receipt("id:1 stat:DELIVRD", Map.of())));
    InboundPdu mo = new InboundPdu("447700900123", (byte) 1, "12345", (byte) 0, (byte) 0, (byte) 0,
        "id:1 stat:DELIVRD".getBytes(StandardCharsets.US_ASCII), Map.of());
    assertFalse(ReceiptParser.isReceipt(mo), "a user may well type a receipt-looking text");
    InboundPdu tlvOnly = new InboundPdu("447700900123", (byte) 1, "12345", (byte) 0, (byte) 0, (byte) 0,
        new byte[0], Map.of(InboundPdu.TLV_RECEIPTED_MESSAGE_ID, "1\0".getBytes(StandardCharsets.US_ASCII)));
    assertTrue(ReceiptParser.isReceipt(tlvOnly));
  }

  private static State stat(String s) {
    return ReceiptParser.parse("id:1 stat:" + s).orElseThrow().state();
  }

  private static InboundPdu receipt(String text, Map<Integer, byte[]> tlvs) {
    return new InboundPdu("447700900123", (byte) 1, "12345", (byte) 0, (byte) 0x04, (byte) 0,
        text.getBytes(StandardCharsets.US_ASCII), tlvs);
  }
}
