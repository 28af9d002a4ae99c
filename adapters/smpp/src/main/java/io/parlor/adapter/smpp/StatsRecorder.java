package io.parlor.adapter.smpp;

import io.parlor.spi.HealthState;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/** The adapter's counters. Thread-safe and lock-free; read with {@link #snapshot}. */
final class StatsRecorder {
  private final LongAdder binds = new LongAdder();
  private final LongAdder bindFailures = new LongAdder();
  private final LongAdder linkDrops = new LongAdder();
  private final LongAdder partsSubmitted = new LongAdder();
  private final LongAdder submitFailures = new LongAdder();
  private final LongAdder throttled = new LongAdder();
  private final LongAdder latencyCount = new LongAdder();
  private final LongAdder latencyTotalNanos = new LongAdder();
  private final LongAccumulator latencyMaxNanos = new LongAccumulator(Math::max, 0);
  private final LongAdder receiptsMatched = new LongAdder();
  private final LongAdder receiptsUnmatched = new LongAdder();
  private final LongAdder moAccepted = new LongAdder();
  private final LongAdder moTemporaryErrors = new LongAdder();
  private final LongAdder moRejected = new LongAdder();
  private final LongAdder reassemblyTimeouts = new LongAdder();

  void bound() {
    binds.increment();
  }

  void bindFailed() {
    bindFailures.increment();
  }

  void linkDropped() {
    linkDrops.increment();
  }

  void submitted(long nanos) {
    partsSubmitted.increment();
    latency(nanos);
  }

  void submitFailed(long nanos) {
    submitFailures.increment();
    if (nanos >= 0) {
      latency(nanos);
    }
  }

  void throttled() {
    throttled.increment();
  }

  void receiptMatched() {
    receiptsMatched.increment();
  }

  void receiptUnmatched() {
    receiptsUnmatched.increment();
  }

  void moAccepted() {
    moAccepted.increment();
  }

  void moTemporaryError() {
    moTemporaryErrors.increment();
  }

  void moRejected() {
    moRejected.increment();
  }

  void reassemblyTimeouts(int n) {
    reassemblyTimeouts.add(n);
  }

  private void latency(long nanos) {
    latencyCount.increment();
    latencyTotalNanos.add(nanos);
    latencyMaxNanos.accumulate(nanos);
  }

  SmppStats snapshot(HealthState state, int window, int inFlight, int queued) {
    long n = latencyCount.sum();
    return new SmppStats(
        state,
        binds.sum(),
        bindFailures.sum(),
        linkDrops.sum(),
        window,
        inFlight,
        queued,
        partsSubmitted.sum(),
        submitFailures.sum(),
        throttled.sum(),
        n == 0 ? 0 : latencyTotalNanos.sum() / n / 1000,
        latencyMaxNanos.get() / 1000,
        receiptsMatched.sum(),
        receiptsUnmatched.sum(),
        moAccepted.sum(),
        moTemporaryErrors.sum(),
        moRejected.sum(),
        reassemblyTimeouts.sum());
  }
}
