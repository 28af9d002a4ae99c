package io.parlor.adapter.smpp;

import static io.parlor.adapter.smpp.ItSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.smpp.ItSupport.FakeCore;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.HealthState;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Lost and dead links: nothing in flight is lost silently, the adapter rebinds, no thread leaks. */
class SmppLinkFailureIT {
  private TestSmsc smsc;
  private FakeCore core;
  private SmppAdapter adapter;

  @BeforeEach
  void start() throws Exception {
    smsc = new TestSmsc();
    core = new FakeCore();
  }

  @AfterEach
  void stop() throws Exception {
    adapter.stop(Duration.ofSeconds(1)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    smsc.close();
  }

  @Test
  void smscDroppingTheConnectionMidWindowFailsInFlightSubmitsAndRebinds() throws Exception {
    adapter = core.adapter(ItSupport.config(smsc.port(), Map.of("responseTimeout", "PT20S")));
    adapter.start();
    await("bind", Duration.ofSeconds(10), () -> adapter.health().state() == HealthState.CONNECTED);
    smsc.submit = TestSmsc.Submit.HOLD;
    List<CompletableFuture<?>> inFlight = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      inFlight.add(adapter.deliver(ItSupport.text("m-" + i, "sms:~relay1", "msg " + i),
          new DeliveryTarget(Address.of("sms:+447700900123"), "gw-" + i)).toCompletableFuture());
    }
    await("5 submits held by the SMSC", Duration.ofSeconds(5), () -> smsc.held.get() == 5);
    assertEquals(5, adapter.stats().inFlight());
    List<String> firstSession = adapter.sessionIds();
    long dropped = System.nanoTime();
    smsc.dropConnections();
    for (CompletableFuture<?> f : inFlight) {
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> f.get(5, TimeUnit.SECONDS));
      assertInstanceOf(TransientDeliveryException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("link lost"), e.getCause().getMessage());
    }
    assertTrue(System.nanoTime() - dropped < TimeUnit.SECONDS.toNanos(5), "failed at once, not after the 20 s timeout");
    await("rebind", Duration.ofSeconds(10), () -> smsc.binds.get() == 2
        && adapter.health().state() == HealthState.CONNECTED);
    assertTrue(core.saw(HealthState.RECONNECTING));
    smsc.releaseHeld();
    smsc.submit = TestSmsc.Submit.OK;
    assertNotNull(adapter.deliver(ItSupport.text("m-after", "sms:~relay1", "again"),
        new DeliveryTarget(Address.of("sms:+447700900123"), "gw-after")).toCompletableFuture()
        .get(10, TimeUnit.SECONDS).networkMessageId());
    assertEquals(1, adapter.stats().linkDrops());
    ItSupport.assertThreadsGone(firstSession, List.of());
  }

  @Test
  void silentSmscIsDetectedAsDeadAndTheAdapterRebinds() throws Exception {
    adapter = core.adapter(ItSupport.config(smsc.port(),
        Map.of("enquireLinkInterval", "PT0.5S", "responseTimeout", "PT0.5S")));
    adapter.start();
    await("bind", Duration.ofSeconds(10), () -> adapter.health().state() == HealthState.CONNECTED);
    // Idle for more than two enquire_link intervals: answered probes keep the link.
    Thread.sleep(1200);
    assertEquals(1, smsc.binds.get(), "a live link is kept");
    assertEquals(HealthState.CONNECTED, adapter.health().state());
    List<String> firstSession = adapter.sessionIds();
    smsc.silence();
    await("dead link detected", Duration.ofSeconds(5), () -> core.saw(HealthState.RECONNECTING));
    await("rebind", Duration.ofSeconds(10), () -> smsc.binds.get() == 2
        && adapter.health().state() == HealthState.CONNECTED);
    ItSupport.assertThreadsGone(firstSession, List.of());
  }
}
