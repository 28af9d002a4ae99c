package io.parlor.adapter.smpp;

import io.parlor.adapter.smpp.ItSupport.FakeCore;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.HealthState;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jsmpp.bean.AlertNotification;
import org.jsmpp.bean.BindType;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.RawDataCoding;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.SMSCDeliveryReceipt;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.session.BindParameter;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.SMPPSession;
import org.jsmpp.session.Session;

/**
 * Sustained submit_sm/s with receipts against a fast in-process jsmpp SMSC (receipt after every
 * submit_sm_resp): the adapter at window 10 versus raw jsmpp used the plain way (default socket
 * factory, synchronous submits) on one thread and on ten, and raw jsmpp on ten threads with
 * TCP_NODELAY. Client and SMSC share the JVM and its CPUs. Not a test; run it by hand:
 *
 * <pre>
 * mvn -q -o -pl adapters/smpp -am test-compile dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
 * java -cp adapters/smpp/target/test-classes:adapters/smpp/target/classes:adapters/spi/target/classes:$(cat adapters/smpp/target/test-classpath.txt) \
 *     io.parlor.adapter.smpp.SmppThroughputBench 10 3
 * </pre>
 *
 * Args: [seconds per run, default 10] [warm-up seconds, default 3]; {@code -Dbench.only=adapter} or
 * {@code raw} runs one side.
 */
public final class SmppThroughputBench {
  private SmppThroughputBench() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    System.out.printf("SMPP throughput, %d s per run after %d s warm-up, %d CPUs, receipts on%n",
        seconds, warmup, Runtime.getRuntime().availableProcessors());
    List<String> lines = new ArrayList<>();
    String only = System.getProperty("bench.only", "");
    if (!only.equals("raw")) {
      lines.add(adapterRun(false, seconds, warmup));
      lines.add(adapterRun(true, seconds, warmup));
    }
    if (!only.equals("adapter")) {
      lines.add(rawRun(1, false, seconds, warmup));
      lines.add(rawRun(10, false, seconds, warmup));
      lines.add(rawRun(10, true, seconds, warmup));
    }
    lines.forEach(System.out::println);
    System.exit(0);
  }

  /**
   * The adapter at window 10 with 100 deliveries outstanding. {@code chained}: each completion
   * starts the next delivery on the completing thread; otherwise one caller thread (like a core
   * scheduler) starts them, paying a thread hand-off per message both ways.
   */
  private static String adapterRun(boolean chained, int seconds, int warmup) throws Exception {
    try (TestSmsc smsc = new TestSmsc()) {
      smsc.receipts = TestSmsc.Receipts.AFTER_RESP;
      FakeCore core = new FakeCore();
      SmppAdapter adapter = core.adapter(ItSupport.config(smsc.port(), Map.of("window", 10, "queueSize", 100)));
      adapter.start();
      ItSupport.await("bind", Duration.ofSeconds(10), () -> adapter.health().state() == HealthState.CONNECTED);
      Semaphore outstanding = new Semaphore(100);
      LongAdder ok = new LongAdder();
      LongAdder failed = new LongAdder();
      AtomicBoolean running = new AtomicBoolean(true);
      java.util.concurrent.atomic.AtomicReference<String> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
      Envelope e = ItSupport.text("bench", "sms:~relay1", "Benchmark message, GSM 7-bit, one part.");
      DeliveryTarget target = new DeliveryTarget(Address.of("sms:+447700900123"), "bench");
      java.util.function.BiConsumer<Object, Throwable> counter = (r, err) -> {
        (err == null ? ok : failed).increment();
        if (err != null && running.get()) {
          firstFailure.compareAndSet(null, String.valueOf(err.getCause() != null ? err.getCause() : err));
        }
      };
      Thread pump = new Thread(() -> {
        if (chained) {
          for (int i = 0; i < 100; i++) {
            chain(adapter, e, target, running, counter);
          }
          return;
        }
        while (running.get()) {
          outstanding.acquireUninterruptibly();
          adapter.deliver(e, target).whenComplete((r, err) -> {
            counter.accept(r, err);
            outstanding.release();
          });
        }
      }, "bench-pump");
      pump.start();
      Thread.sleep(warmup * 1000L);
      long ok0 = ok.sum();
      long failed0 = failed.sum();
      long receipts0 = adapter.stats().receiptsMatched();
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      double secs = (System.nanoTime() - t0) / 1e9;
      long n = ok.sum() - ok0;
      long failures = failed.sum() - failed0;
      long receipts = adapter.stats().receiptsMatched() - receipts0;
      running.set(false);
      pump.join();
      SmppStats s = adapter.stats();
      adapter.stop(Duration.ofSeconds(2)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      return String.format("adapter, window 10, %s %8.0f submit_sm/s  %8.0f receipts/s  "
              + "(mean submit latency %d us, max %d us, failures %d%s)",
          chained ? "chained callers: " : "one caller thread:", n / secs, receipts / secs, s.submitLatencyAvgMicros(), s.submitLatencyMaxMicros(), failures,
          failures == 0 ? "" : ", first: " + firstFailure.get());
    }
  }

  private static void chain(SmppAdapter adapter, Envelope e, DeliveryTarget target, AtomicBoolean running,
      java.util.function.BiConsumer<Object, Throwable> counter) {
    adapter.deliver(e, target).whenComplete((r, err) -> {
      counter.accept(r, err);
      if (running.get()) {
        chain(adapter, e, target, running, counter);
      }
    });
  }

  private static String rawRun(int threads, boolean noDelay, int seconds, int warmup) throws Exception {
    try (TestSmsc smsc = new TestSmsc()) {
      smsc.receipts = TestSmsc.Receipts.AFTER_RESP;
      LongAdder receipts = new LongAdder();
      SMPPSession session = noDelay
          ? new SMPPSession(new NoDelayConnectionFactory(Duration.ofSeconds(5)))
          : new SMPPSession();
      session.setTransactionTimer(10_000);
      session.setMessageReceiverListener(new MessageReceiverListener() {
        @Override
        public void onAcceptDeliverSm(DeliverSm d) {
          receipts.increment();
        }

        @Override
        public void onAcceptAlertNotification(AlertNotification a) {}

        @Override
        public DataSmResult onAcceptDataSm(DataSm d, Session s) {
          return null;
        }
      });
      session.connectAndBind("127.0.0.1", smsc.port(), new BindParameter(BindType.BIND_TRX, TestSmsc.SYSTEM_ID,
          TestSmsc.PASSWORD, "", TypeOfNumber.UNKNOWN, NumberingPlanIndicator.UNKNOWN, null));
      LongAdder ok = new LongAdder();
      AtomicBoolean running = new AtomicBoolean(true);
      byte[] sm = Gsm7.encode("Benchmark message, GSM 7-bit, one part.");
      List<Thread> workers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Thread t = new Thread(() -> {
          while (running.get()) {
            try {
              session.submitShortMessage("", TypeOfNumber.UNKNOWN, NumberingPlanIndicator.ISDN, "12345",
                  TypeOfNumber.INTERNATIONAL, NumberingPlanIndicator.ISDN, "447700900123", new ESMClass(),
                  (byte) 0, (byte) 0, null, null, new RegisteredDelivery(SMSCDeliveryReceipt.SUCCESS_FAILURE),
                  (byte) 0, new RawDataCoding((byte) 0), (byte) 0, sm);
              ok.increment();
            } catch (Exception ex) {
              // counted as not ok
            }
          }
        }, "bench-raw-" + i);
        workers.add(t);
        t.start();
      }
      Thread.sleep(warmup * 1000L);
      long ok0 = ok.sum();
      long r0 = receipts.sum();
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      double secs = (System.nanoTime() - t0) / 1e9;
      long n = ok.sum() - ok0;
      long r = receipts.sum() - r0;
      running.set(false);
      for (Thread t : workers) {
        t.join();
      }
      session.unbindAndClose();
      return String.format("raw jsmpp, %2d sync thread%s, %s %8.0f submit_sm/s  %8.0f receipts/s",
          threads, threads == 1 ? " " : "s", noDelay ? "TCP_NODELAY:   " : "default socket:", n / secs, r / secs);
    }
  }
}
