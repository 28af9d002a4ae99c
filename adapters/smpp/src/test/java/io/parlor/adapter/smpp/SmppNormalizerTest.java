package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.NetworkId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmppNormalizerTest {
  private final TestClock clock = new TestClock();
  private final StatsRecorder stats = new StatsRecorder();
  private final SmppNormalizer n =
      new SmppNormalizer(NetworkId.of("sms"), clock, new Reassembler(clock, Duration.ofMinutes(5), 100),
          new MoIds(clock, new byte[32], 100), stats);

  private SmppNormalizer.Complete complete(InboundPdu pdu) {
    return assertInstanceOf(SmppNormalizer.Complete.class, n.normalize(pdu));
  }

  private static String text(Envelope e) {
    return ((Content.Text) e.content()).text();
  }

  @Test
  void gsmMessageBecomesAnEnvelopeFromE164ToTheShortCode() {
    Envelope e = complete(Pdus.mo((byte) 0, Gsm7.encode("Hi {you} €5"))).envelope();
    assertEquals(Address.of("sms:+447700900123"), e.from());
    assertEquals(Address.of("sms:12345"), e.to());
    assertEquals("Hi {you} €5", text(e));
    assertEquals(clock.instant(), e.sentAt());
    assertTrue(e.id().value().startsWith("sms-"), e.id().value());
  }

  @Test
  void decodesLatin1AndUcs2() {
    assertEquals("café", text(complete(Pdus.mo((byte) 3, "café".getBytes(StandardCharsets.ISO_8859_1))).envelope()));
    assertEquals("Привет 😀", text(complete(Pdus.mo((byte) 8, Ucs2.encode("Привет 😀"))).envelope()));
  }

  @Test
  void destinationInE164WhenTheSmscSendsANumber() {
    InboundPdu pdu = new InboundPdu("447700900123", (byte) 1, "447700900001", (byte) 1, (byte) 0, (byte) 0,
        Gsm7.encode("hi"), Map.of());
    assertEquals(Address.of("sms:+447700900001"), complete(pdu).envelope().to());
  }

  @Test
  void reassemblesConcatenatedPartsInAnyOrder() {
    byte[] all = Ucs2.encode("😀 " + "é".repeat(80));
    assertInstanceOf(SmppNormalizer.Partial.class, n.normalize(Pdus.moPart((byte) 8, 9, 2, 2, Pdus.slice(all, 134, 999))));
    SmppNormalizer.Complete c = complete(Pdus.moPart((byte) 8, 9, 2, 1, Pdus.slice(all, 0, 134)));
    assertEquals("😀 " + "é".repeat(80), text(c.envelope()));
    assertEquals(new Reassembler.Key("+447700900123", "12345", 9, 2, 8), c.commit().group());
  }

  @Test
  void reassemblesSarTlvParts() {
    Map<Integer, byte[]> p1 = Map.of(InboundPdu.TLV_SAR_MSG_REF_NUM, new byte[] {1, 2},
        InboundPdu.TLV_SAR_TOTAL_SEGMENTS, new byte[] {2}, InboundPdu.TLV_SAR_SEGMENT_SEQNUM, new byte[] {1});
    Map<Integer, byte[]> p2 = Map.of(InboundPdu.TLV_SAR_MSG_REF_NUM, new byte[] {1, 2},
        InboundPdu.TLV_SAR_TOTAL_SEGMENTS, new byte[] {2}, InboundPdu.TLV_SAR_SEGMENT_SEQNUM, new byte[] {2});
    n.normalize(new InboundPdu("447700900123", (byte) 1, "12345", (byte) 0, (byte) 0, (byte) 0, Gsm7.encode("hello "), p1));
    SmppNormalizer.Complete c = complete(
        new InboundPdu("447700900123", (byte) 1, "12345", (byte) 0, (byte) 0, (byte) 0, Gsm7.encode("world"), p2));
    assertEquals("hello world", text(c.envelope()));
  }

  @Test
  void redeliveryAfterAFailedStoreKeepsTheIdAndTheParts() {
    InboundPdu first = Pdus.moPart((byte) 0, 3, 2, 1, Gsm7.encode("part one, "));
    InboundPdu last = Pdus.moPart((byte) 0, 3, 2, 2, Gsm7.encode("part two"));
    n.normalize(first);
    SmppNormalizer.Complete c1 = complete(last);
    n.failed(c1.commit());
    clock.advance(Duration.ofSeconds(30));
    SmppNormalizer.Complete c2 = complete(last);
    assertEquals(c1.envelope().id(), c2.envelope().id());
    assertEquals("part one, part two", text(c2.envelope()));
    n.committed(c2.commit());
    assertInstanceOf(SmppNormalizer.Partial.class, n.normalize(last), "parts forgotten once stored");
  }

  @Test
  void theSameTextAgainAfterAnAcknowledgementIsANewMessage() {
    InboundPdu ok = Pdus.mo((byte) 0, Gsm7.encode("ok"));
    SmppNormalizer.Complete c1 = complete(ok);
    n.committed(c1.commit());
    SmppNormalizer.Complete c2 = complete(ok);
    assertNotEquals(c1.envelope().id(), c2.envelope().id(), "same second, acknowledged: a new id");
    n.committed(c2.commit());
    clock.advance(Duration.ofMinutes(1));
    assertNotEquals(c2.envelope().id(), complete(ok).envelope().id());
  }

  @Test
  void idsRevealNeitherNumberNorText() {
    String id = complete(Pdus.mo((byte) 0, Gsm7.encode("secret 447700900123"))).envelope().id().value();
    assertTrue(id.matches("sms-[0-9a-f]{24}-[0-9a-z]+"), id);
  }

  @Test
  void receiptsAreRecognised() {
    InboundPdu r = new InboundPdu("447700900123", (byte) 1, "12345", (byte) 0, (byte) 0x04, (byte) 0,
        "id:42 sub:001 dlvrd:001 submit date:2611291000 done date:2611291001 stat:DELIVRD err:000 text:x"
            .getBytes(StandardCharsets.US_ASCII), Map.of());
    assertEquals("42", assertInstanceOf(SmppNormalizer.Receipt.class, n.normalize(r)).receipt().messageId());
    InboundPdu junk = new InboundPdu("447700900123", (byte) 1, "12345", (byte) 0, (byte) 0x04, (byte) 0,
        "hello".getBytes(StandardCharsets.US_ASCII), Map.of());
    assertInstanceOf(SmppNormalizer.Ignored.class, n.normalize(junk));
  }

  @Test
  void binaryEmptyOrSenderlessMessagesAreNotDelivered() {
    assertInstanceOf(SmppNormalizer.Unsupported.class, n.normalize(Pdus.mo((byte) 4, new byte[] {1, 2})));
    assertInstanceOf(SmppNormalizer.Ignored.class, n.normalize(Pdus.mo((byte) 0, new byte[0])));
    assertInstanceOf(SmppNormalizer.Unsupported.class, n.normalize(
        new InboundPdu("", (byte) 1, "12345", (byte) 0, (byte) 0, (byte) 0, Gsm7.encode("hi"), Map.of())));
  }
}
