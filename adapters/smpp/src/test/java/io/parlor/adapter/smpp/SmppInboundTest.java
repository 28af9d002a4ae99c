package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.InboundSink;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.NetworkId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class SmppInboundTest {
  private final TestClock clock = new TestClock();
  private final StatsRecorder stats = new StatsRecorder();
  private final List<Envelope> sunk = new ArrayList<>();
  private final List<SmsReceipt> receipts = new ArrayList<>();
  private Function<Envelope, CompletionStage<IngressResult>> answer =
      e -> CompletableFuture.completedFuture(new IngressResult.Accepted("g-1"));

  private SmppInbound inbound(Duration ackTimeout) {
    SmppNormalizer n = new SmppNormalizer(NetworkId.of("sms"), clock,
        new Reassembler(clock, Duration.ofMinutes(5), 100), new MoIds(clock, new byte[32], 100), stats);
    InboundSink sink = e -> {
      sunk.add(e);
      return answer.apply(e);
    };
    ReceiptCorrelator c = new ReceiptCorrelator(clock, receipts::add, stats, Duration.ofHours(1), 100);
    return new SmppInbound(n, sink, c, stats, ackTimeout);
  }

  private final InboundPdu hello = Pdus.mo((byte) 0, Gsm7.encode("hello"));

  @Test
  void acknowledgesOnceStored() {
    assertEquals(SmppInbound.ESME_ROK, inbound(Duration.ofSeconds(1)).accept(hello));
    assertEquals(1, sunk.size());
    assertEquals(1, stats.snapshot(null, 0, 0, 0).moAccepted());
  }

  @Test
  void duplicateIsAcknowledged() {
    answer = e -> CompletableFuture.completedFuture(new IngressResult.Duplicate());
    assertEquals(SmppInbound.ESME_ROK, inbound(Duration.ofSeconds(1)).accept(hello));
  }

  @Test
  void failedStoreIsATemporaryErrorAndTheRedeliveryKeepsItsId() {
    answer = e -> CompletableFuture.failedFuture(new InboundSink.StoreUnavailableException("disk full", null));
    SmppInbound in = inbound(Duration.ofSeconds(1));
    assertEquals(SmppInbound.ESME_RX_T_APPN, in.accept(hello));
    answer = e -> CompletableFuture.completedFuture(new IngressResult.Accepted("g-1"));
    assertEquals(SmppInbound.ESME_ROK, in.accept(hello));
    assertEquals(sunk.get(0).id(), sunk.get(1).id());
    assertEquals(1, stats.snapshot(null, 0, 0, 0).moTemporaryErrors());
  }

  @Test
  void sinkThrowingIsATemporaryError() {
    answer = e -> {
      throw new IllegalStateException("boom");
    };
    assertEquals(SmppInbound.ESME_RX_T_APPN, inbound(Duration.ofSeconds(1)).accept(hello));
  }

  @Test
  void sinkNotAnsweringInTimeIsATemporaryError() {
    answer = e -> new CompletableFuture<>();
    assertEquals(SmppInbound.ESME_RX_T_APPN, inbound(Duration.ofMillis(1)).accept(hello));
  }

  @Test
  void refusalsArePermanentExceptRateLimiting() {
    answer = e -> CompletableFuture.completedFuture(
        IngressResult.Refused.of(IngressResult.Refused.RECIPIENT_UNREACHABLE, "no"));
    assertEquals(SmppInbound.ESME_RX_P_APPN, inbound(Duration.ofSeconds(1)).accept(hello));
    answer = e -> CompletableFuture.completedFuture(
        new IngressResult.Refused(IngressResult.Refused.RATE_LIMITED, "slow down", Duration.ofSeconds(1)));
    assertEquals(SmppInbound.ESME_RTHROTTLED, inbound(Duration.ofSeconds(1)).accept(hello));
  }

  @Test
  void partsAreAcknowledgedAtOnceAndTheLastOnlyWhenStored() {
    SmppInbound in = inbound(Duration.ofSeconds(1));
    CompletableFuture<IngressResult> store = new CompletableFuture<>();
    answer = e -> store;
    assertEquals(SmppInbound.ESME_ROK, in.accept(Pdus.moPart((byte) 0, 1, 2, 1, Gsm7.encode("ab"))));
    assertTrue(sunk.isEmpty());
    store.complete(new IngressResult.Accepted("g-2"));
    assertEquals(SmppInbound.ESME_ROK, in.accept(Pdus.moPart((byte) 0, 1, 2, 2, Gsm7.encode("cd"))));
    assertEquals(1, sunk.size());
  }

  @Test
  void receiptsGoToTheCorrelatorNotTheSink() {
    InboundPdu r = new InboundPdu("447700900123", (byte) 1, "12345", (byte) 0, (byte) 0x04, (byte) 0,
        "id:5 stat:DELIVRD".getBytes(StandardCharsets.US_ASCII), Map.of());
    assertEquals(SmppInbound.ESME_ROK, inbound(Duration.ofSeconds(1)).accept(r));
    assertTrue(sunk.isEmpty());
  }

  @Test
  void binaryMessagesArePermanentlyRefused() {
    assertEquals(SmppInbound.ESME_RX_P_APPN, inbound(Duration.ofSeconds(1)).accept(Pdus.mo((byte) 4, new byte[] {1})));
  }
}
