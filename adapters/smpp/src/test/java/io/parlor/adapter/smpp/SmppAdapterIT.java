package io.parlor.adapter.smpp;

import static io.parlor.adapter.smpp.ItSupport.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.smpp.ItSupport.FakeCore;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.HealthState;
import io.parlor.spi.IngressResult;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jsmpp.bean.SubmitSm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The adapter against an in-process jsmpp SMSC over loopback. */
class SmppAdapterIT {
  private static final DeliveryTarget ALICE = new DeliveryTarget(Address.of("sms:+447700900123"), "gw-1");
  private TestSmsc smsc;
  private FakeCore core;
  private SmppAdapter adapter;
  private final ExecutorService smscSide = Executors.newCachedThreadPool(TestSmsc.daemon("it-smsc-side"));

  @BeforeEach
  void start() throws Exception {
    smsc = new TestSmsc();
    core = new FakeCore();
  }

  @AfterEach
  void stop() throws Exception {
    if (adapter != null) {
      adapter.stop(Duration.ofSeconds(1)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    smsc.close();
    smscSide.shutdownNow();
  }

  private SmppAdapter bound(Map<String, Object> overrides) {
    adapter = core.adapter(ItSupport.config(smsc.port(), overrides));
    adapter.start();
    await("bind", Duration.ofSeconds(10), () -> adapter.health().state() == HealthState.CONNECTED);
    return adapter;
  }

  private DeliveryResult send(Envelope e, DeliveryTarget t) throws Exception {
    return adapter.deliver(e, t).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void bindsAsTransceiverAndReportsHealth() {
    bound(Map.of());
    assertEquals(HealthState.STARTING, core.health.get(0).state());
    assertEquals(HealthState.CONNECTED, core.health.get(core.health.size() - 1).state());
    assertEquals(1, smsc.binds.get());
    assertEquals(1, adapter.stats().binds());
  }

  @Test
  void sendsGsm7WithReceiptRequestAndValidityFromExpiry() throws Exception {
    bound(Map.of());
    String body = "Hello {world} €5 [ok] ~^|\\";
    Envelope e = ItSupport.text("m-1", "sms:~relay1", body).withExpiresAt(Instant.now().plusSeconds(3600));
    DeliveryResult r = send(e, ALICE);
    TestSmsc.Received got = smsc.submits.poll(5, TimeUnit.SECONDS);
    SubmitSm sm = got.sm();
    assertEquals(got.id(), r.networkMessageId());
    assertEquals("447700900123", sm.getDestAddress());
    assertEquals(1, sm.getDestAddrTon());
    assertEquals(1, sm.getDestAddrNpi());
    assertEquals("12345", sm.getSourceAddr(), "not a pool number: the default sender");
    assertEquals(0, sm.getDataCoding());
    assertEquals(0, sm.getEsmClass());
    assertEquals(1, sm.getRegisteredDelivery());
    assertArrayEquals(Gsm7.encode(body), sm.getShortMessage());
    assertTrue(sm.getValidityPeriod().matches("00000000(59[45][0-9]|0000)000R"), sm.getValidityPeriod());
  }

  @Test
  void sendsUcs2FromAPoolNumber() throws Exception {
    bound(Map.of("numberPool", List.of("+447700900001", "+447700900002")));
    String body = "Привет 😀 ça va";
    send(ItSupport.text("m-2", "sms:+447700900002", body), ALICE);
    SubmitSm sm = smsc.submits.poll(5, TimeUnit.SECONDS).sm();
    assertEquals("447700900002", sm.getSourceAddr());
    assertEquals(1, sm.getSourceAddrTon());
    assertEquals(8, sm.getDataCoding());
    assertArrayEquals(Ucs2.encode(body), sm.getShortMessage());
    assertNull(sm.getValidityPeriod() == null || sm.getValidityPeriod().isEmpty() ? null : sm.getValidityPeriod());
  }

  @Test
  void sendsALongMessageAsThreeConcatenatedParts() throws Exception {
    bound(Map.of());
    String body = "a".repeat(153) + "b".repeat(153) + "c".repeat(100);
    DeliveryResult r = send(ItSupport.text("m-3", "sms:~relay1", body), ALICE);
    List<TestSmsc.Received> parts = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      parts.add(smsc.submits.poll(5, TimeUnit.SECONDS));
    }
    parts.sort(Comparator.comparingInt(p -> p.sm().getShortMessage()[5]));
    Set<Byte> refs = new HashSet<>();
    StringBuilder joined = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      byte[] m = parts.get(i).sm().getShortMessage();
      assertEquals(0x40, parts.get(i).sm().getEsmClass() & 0x40, "UDHI");
      assertArrayEquals(new byte[] {5, 0, 3}, Arrays.copyOf(m, 3));
      assertEquals(3, m[4]);
      assertEquals(i + 1, m[5]);
      refs.add(m[3]);
      joined.append(Gsm7.decode(Arrays.copyOfRange(m, 6, m.length)));
    }
    assertEquals(1, refs.size(), "one reference for all parts");
    assertEquals(body, joined.toString());
    assertEquals(parts.get(0).id(), r.networkMessageId(), "the first part's id");
    assertNull(smsc.submits.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void correlatesReceiptsSentBeforeTheSubmitResponse() throws Exception {
    bound(Map.of());
    smsc.receipts = TestSmsc.Receipts.BEFORE_RESP;
    DeliveryResult r = send(ItSupport.text("m-4", "sms:~relay1", "hi"), new DeliveryTarget(ALICE.recipient(), "gw-4"));
    SmsReceipt receipt = core.receipts.poll(5, TimeUnit.SECONDS);
    assertNotNull(receipt, "receipt (decimal id) matched to the hex submit_sm_resp id");
    assertEquals(new SmsReceipt(r.networkMessageId(), "gw-4", SmsReceipt.Outcome.DELIVERED, "", receipt.at()), receipt);
  }

  @Test
  void correlatesReceiptsSentAfterTheSubmitResponseAcrossAllParts() throws Exception {
    bound(Map.of());
    smsc.receipts = TestSmsc.Receipts.AFTER_RESP;
    DeliveryResult r = send(ItSupport.text("m-5", "sms:~relay1", "x".repeat(400)), new DeliveryTarget(ALICE.recipient(), "gw-5"));
    SmsReceipt receipt = core.receipts.poll(5, TimeUnit.SECONDS);
    assertNotNull(receipt);
    assertEquals("gw-5", receipt.idempotencyKey());
    assertEquals(r.networkMessageId(), receipt.networkMessageId());
    assertEquals(SmsReceipt.Outcome.DELIVERED, receipt.outcome());
    assertNull(core.receipts.poll(300, TimeUnit.MILLISECONDS), "one receipt per message, not per part");
    assertEquals(3, adapter.stats().receiptsMatched());
  }

  @Test
  void answersDeliverSmOnlyAfterTheCoreStoredTheMessage() throws Exception {
    bound(Map.of());
    CompletableFuture<IngressResult> store = new CompletableFuture<>();
    core.answer = e -> store;
    Future<Integer> resp = smscSide.submit(() -> smsc.deliver("447700900123", "12345", 0, 0, Gsm7.encode("hello @ €")));
    Envelope e = core.envelopes.poll(5, TimeUnit.SECONDS);
    assertNotNull(e);
    assertEquals(Address.of("sms:+447700900123"), e.from());
    assertEquals(Address.of("sms:12345"), e.to());
    assertEquals("hello @ €", ((Content.Text) e.content()).text());
    assertTrue(e.id().value().startsWith("sms-"));
    Thread.sleep(300);
    assertFalse(resp.isDone(), "deliver_sm_resp must wait for the store");
    store.complete(new IngressResult.Accepted("g-1"));
    assertEquals(0, resp.get(5, TimeUnit.SECONDS));
    assertEquals(1, adapter.stats().moAccepted());
  }

  @Test
  void reassemblesConcatenatedInboundMessages() throws Exception {
    bound(Map.of());
    byte[] all = Ucs2.encode("Привет! " + "ж".repeat(140));
    int[] cuts = {0, 134, 268, all.length};
    for (int seq : new int[] {2, 3, 1}) {
      byte[] body = Arrays.copyOfRange(all, cuts[seq - 1], cuts[seq]);
      byte[] sm = new byte[6 + body.length];
      System.arraycopy(new byte[] {5, 0, 3, 42, 3, (byte) seq}, 0, sm, 0, 6);
      System.arraycopy(body, 0, sm, 6, body.length);
      assertEquals(0, smsc.deliver("447700900123", "447700900001", 0x40, 8, sm));
    }
    Envelope e = core.envelopes.poll(5, TimeUnit.SECONDS);
    assertEquals("Привет! " + "ж".repeat(140), ((Content.Text) e.content()).text());
    assertEquals(Address.of("sms:+447700900001"), e.to());
    assertNull(core.envelopes.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void failingStoreAnswersATemporaryErrorAndTheRedeliveryKeepsItsId() throws Exception {
    bound(Map.of());
    core.answer = e -> CompletableFuture.failedFuture(new IllegalStateException("store down"));
    assertEquals(0x64, smsc.deliver("447700900123", "12345", 0, 0, Gsm7.encode("retry me")));
    core.answer = e -> CompletableFuture.completedFuture(new IngressResult.Accepted("g"));
    assertEquals(0, smsc.deliver("447700900123", "12345", 0, 0, Gsm7.encode("retry me")));
    Envelope first = core.envelopes.poll(1, TimeUnit.SECONDS);
    Envelope second = core.envelopes.poll(1, TimeUnit.SECONDS);
    assertEquals(first.id(), second.id(), "the core's dedupe sees the redelivery");
  }

  @Test
  void throttlingFailsTransientlyWithRetryAfter() throws Exception {
    bound(Map.of());
    smsc.submit = TestSmsc.Submit.THROTTLE;
    ExecutionException ex = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> send(ItSupport.text("m-6", "sms:~relay1", "hi"), ALICE));
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class, ex.getCause());
    assertEquals(SmppErrorMapper.THROTTLED_RETRY, t.retryAfter().orElseThrow());
    assertTrue(t.getMessage().contains("ESME_RTHROTTLED"));
    assertEquals(1, adapter.stats().throttled());
    smsc.submit = TestSmsc.Submit.OK;
    assertNotNull(send(ItSupport.text("m-7", "sms:~relay1", "hi"), ALICE).networkMessageId());
  }

  @Test
  void fullWindowWithoutQueueFailsFastAndRecovers() throws Exception {
    bound(Map.of("window", 2, "queueSize", 0));
    smsc.submit = TestSmsc.Submit.HOLD;
    CompletableFuture<DeliveryResult> a = adapter.deliver(ItSupport.text("m-a", "sms:~relay1", "a"), ALICE).toCompletableFuture();
    CompletableFuture<DeliveryResult> b = adapter.deliver(ItSupport.text("m-b", "sms:~relay1", "b"), ALICE).toCompletableFuture();
    await("2 submits in flight", Duration.ofSeconds(5), () -> smsc.held.get() == 2);
    assertEquals(2, adapter.stats().inFlight());
    ExecutionException full = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> adapter.deliver(ItSupport.text("m-c", "sms:~relay1", "c"), ALICE).toCompletableFuture()
            .get(100, TimeUnit.MILLISECONDS));
    TransientDeliveryException t = assertInstanceOf(TransientDeliveryException.class, full.getCause());
    assertTrue(t.retryAfter().isPresent());
    smsc.submit = TestSmsc.Submit.OK;
    smsc.releaseHeld();
    assertNotNull(a.get(5, TimeUnit.SECONDS).networkMessageId());
    assertNotNull(b.get(5, TimeUnit.SECONDS).networkMessageId());
    assertNotNull(send(ItSupport.text("m-d", "sms:~relay1", "d"), ALICE).networkMessageId());
  }

  @Test
  void refusedPasswordIsAuthFailedUntilItIsFixed() {
    smsc.password = "other";
    adapter = core.adapter(ItSupport.config(smsc.port(), Map.of()));
    adapter.start();
    await("AUTH_FAILED", Duration.ofSeconds(10), () -> adapter.health().state() == HealthState.AUTH_FAILED);
    assertTrue(adapter.health().reason().contains("ESME_RINVPASWD"), adapter.health().reason());
    assertFalse(adapter.health().reason().contains(TestSmsc.PASSWORD));
    smsc.password = TestSmsc.PASSWORD;
    await("CONNECTED", Duration.ofSeconds(10), () -> adapter.health().state() == HealthState.CONNECTED);
    assertTrue(adapter.stats().bindFailures() >= 1);
  }

  @Test
  void transmitterAndReceiverPair() throws Exception {
    bound(Map.of("bindType", "transmitter-receiver"));
    await("two binds", Duration.ofSeconds(5), () -> smsc.boundSessions() == 2);
    assertNotNull(send(ItSupport.text("m-8", "sms:~relay1", "via tx"), ALICE).networkMessageId());
    assertEquals(0, smsc.deliver("447700900123", "12345", 0, 0, Gsm7.encode("via rx")));
    assertEquals("via rx", ((Content.Text) core.envelopes.poll(5, TimeUnit.SECONDS).content()).text());
  }

  @Test
  void stopUnbindsAndEndsEveryThread() throws Exception {
    bound(Map.of());
    send(ItSupport.text("m-9", "sms:~relay1", "bye"), ALICE);
    List<String> sessions = adapter.sessionIds();
    adapter.stop(Duration.ofSeconds(2)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(HealthState.STOPPED, adapter.health().state());
    ItSupport.assertThreadsGone(sessions, List.of("smpp-sms-"));
    ExecutionException ex = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> send(ItSupport.text("m-10", "sms:~relay1", "late"), ALICE));
    assertInstanceOf(io.parlor.spi.AdapterUnavailableException.class, ex.getCause());
    adapter = null;
  }
}
