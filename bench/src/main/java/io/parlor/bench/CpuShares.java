package io.parlor.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;

/** CPU time of the process and of the store's writer thread over a window, per message. */
final class CpuShares {
  private CpuShares() {}

  /** {process CPU ns, store-writer CPU ns, wchar bytes}. */
  static long[] sample() {
    long process = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long writer = 0;
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().equals("store-writer")) {
        writer += threads.getThreadCpuTime(t.getThreadId());
      }
    }
    long wchar = 0;
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/io"))) {
        if (line.startsWith("wchar:")) {
          wchar = Long.parseLong(line.substring(6).trim());
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      wchar = -1;
    }
    return new long[] {process, writer, wchar};
  }

  static void print(long[] a, long[] b, long messages) {
    if (messages <= 0) {
      return;
    }
    System.out.printf("  CPU per message: process %.0f µs, store writer %.0f µs; bytes written (syscalls) %.0f per message%n",
        (b[0] - a[0]) / 1e3 / messages, (b[1] - a[1]) / 1e3 / messages, (double) (b[2] - a[2]) / messages);
  }
}
