package io.parlor.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Warm-up until the JIT has settled. On 2 cores the JVM has one C2 compiler thread, and under the
 * benchmarks' load it stays busy for 60-75 s (LogCompilation: C2 task time ~10 s per 10 s until
 * then, under 1 s per 10 s after): a window measured while it still compiles loses up to a quarter
 * of the CPU to it. A gateway runs for days, so the figure that matters is the one after.
 *
 * <p>Waits at least {@code minSeconds}, then in 10 s steps until the JIT took less than {@link
 * #QUIET} of one core in the last step, or {@code maxSeconds} have passed (then says so).
 */
final class Warmup {
  /** JIT time per wall time in a step below which compilation counts as settled. */
  static final double QUIET = 0.10;

  private static final long STEP_MS = 10_000;

  private Warmup() {}

  /** Milliseconds the JIT compilers have spent so far, or -1 if the JVM does not tell. */
  static long jitMillis() {
    CompilationMXBean c = ManagementFactory.getCompilationMXBean();
    return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : -1;
  }

  /** @return a note on how long it waited and why it stopped */
  static String await(int minSeconds, int maxSeconds) throws InterruptedException {
    long start = System.nanoTime();
    Thread.sleep(minSeconds * 1000L);
    if (jitMillis() < 0) {
      return String.format("warm-up %d s (JIT time not available)", minSeconds);
    }
    while (true) {
      long jit0 = jitMillis();
      long t0 = System.nanoTime();
      Thread.sleep(STEP_MS);
      double share = (jitMillis() - jit0) / ((System.nanoTime() - t0) / 1e6);
      double elapsed = (System.nanoTime() - start) / 1e9;
      if (share < QUIET) {
        return String.format("warm-up %.0f s (JIT %.0f %% of a core in its last 10 s)", elapsed, share * 100);
      }
      if (elapsed >= maxSeconds) {
        return String.format("warm-up %.0f s, stopped at the limit with the JIT still at %.0f %% of a core",
            elapsed, share * 100);
      }
    }
  }
}
