package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.smpp.DeliveryReceipt.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReceiptCorrelatorTest {
  private final TestClock clock = new TestClock();
  private final List<SmsReceipt> got = new ArrayList<>();
  private final StatsRecorder stats = new StatsRecorder();
  private final ReceiptCorrelator c = new ReceiptCorrelator(clock, got::add, stats, Duration.ofHours(72), 1000);

  private static DeliveryReceipt receipt(String id, State state) {
    return new DeliveryReceipt(id, state, state == State.DELIVERED ? "000" : "0B", null, null);
  }

  @Test
  void receiptAfterSubmitResponse() {
    ReceiptCorrelator.Tracked t = c.track("gw-1", 1);
    c.partSubmitted(t, 0, "A1B2");
    c.onReceipt(receipt("a1b2", State.DELIVERED));
    assertEquals(List.of(new SmsReceipt("A1B2", "gw-1", SmsReceipt.Outcome.DELIVERED, "", clock.instant())), got);
  }

  @Test
  void receiptBeforeSubmitResponseWaitsForTheId() {
    ReceiptCorrelator.Tracked t = c.track("gw-1", 1);
    c.onReceipt(receipt("41394", State.DELIVERED));
    assertTrue(got.isEmpty());
    assertEquals(1, c.sizes()[1]);
    c.partSubmitted(t, 0, "a1b2");
    assertEquals(1, got.size());
    assertEquals("gw-1", got.get(0).idempotencyKey());
    assertEquals(0, c.sizes()[0] + c.sizes()[1], "nothing left behind");
  }

  @Test
  void decimalReceiptMatchesHexSubmitIdAndBack() {
    ReceiptCorrelator.Tracked hex = c.track("gw-hex", 1);
    ReceiptCorrelator.Tracked dec = c.track("gw-dec", 1);
    c.partSubmitted(hex, 0, "7F3A2B9C");
    c.partSubmitted(dec, 0, "1234567890");
    c.onReceipt(receipt("2134518684", State.DELIVERED));
    c.onReceipt(receipt("499602D2", State.EXPIRED));
    assertEquals("gw-hex", got.get(0).idempotencyKey());
    assertEquals(SmsReceipt.Outcome.DELIVERED, got.get(0).outcome());
    assertEquals("gw-dec", got.get(1).idempotencyKey());
    assertEquals(SmsReceipt.Outcome.EXPIRED, got.get(1).outcome());
  }

  @Test
  void multiPartMessageIsDeliveredWhenAllPartsAre() {
    ReceiptCorrelator.Tracked t = c.track("gw-3", 3);
    c.partSubmitted(t, 0, "10");
    c.partSubmitted(t, 1, "11");
    c.onReceipt(receipt("12", State.DELIVERED));
    c.onReceipt(receipt("10", State.DELIVERED));
    c.onReceipt(receipt("11", State.ENROUTE));
    assertTrue(got.isEmpty());
    c.onReceipt(receipt("11", State.DELIVERED));
    assertTrue(got.isEmpty(), "part 3 id not known yet");
    c.partSubmitted(t, 2, "12");
    assertEquals(1, got.size());
    assertEquals("10", got.get(0).networkMessageId());
    assertEquals(SmsReceipt.Outcome.DELIVERED, got.get(0).outcome());
  }

  @Test
  void multiPartMessageFailsAsSoonAsOnePartFailsAndReportsOnce() {
    ReceiptCorrelator.Tracked t = c.track("gw-2", 2);
    c.partSubmitted(t, 0, "20");
    c.partSubmitted(t, 1, "21");
    c.onReceipt(receipt("21", State.UNDELIVERABLE));
    c.onReceipt(receipt("20", State.DELIVERED));
    assertEquals(1, got.size());
    assertEquals(SmsReceipt.Outcome.FAILED, got.get(0).outcome());
    assertEquals("0B", got.get(0).error());
  }

  @Test
  void unmatchedEarlyReceiptsAreDroppedAfterTheirTtl() {
    c.onReceipt(receipt("999", State.DELIVERED));
    clock.advance(ReceiptCorrelator.EARLY_TTL.plusSeconds(11));
    c.track("gw-x", 1);
    assertEquals(0, c.sizes()[1]);
    assertEquals(1, stats.snapshot(null, 0, 0, 0).receiptsUnmatched());
  }

  @Test
  void abandonedMessagesGetNoReceipt() {
    ReceiptCorrelator.Tracked t = c.track("gw-1", 1);
    c.partSubmitted(t, 0, "30");
    c.abandon(t);
    c.onReceipt(receipt("30", State.DELIVERED));
    assertTrue(got.isEmpty());
  }

  @Test
  void oldMessagesAreForgottenAfterTheTtl() {
    ReceiptCorrelator.Tracked t = c.track("gw-1", 1);
    c.partSubmitted(t, 0, "40");
    clock.advance(Duration.ofHours(73));
    c.onReceipt(receipt("40", State.DELIVERED));
    assertTrue(got.isEmpty());
  }
}
