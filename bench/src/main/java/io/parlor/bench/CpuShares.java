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
    return new long[] {process, writer, wchar, databaseServer()};
  }

  /** CPU ns of every process named {@code postgres} (a database server on this machine), else 0. */
  private static long databaseServer() {
    long ticks = 0;
    try (java.util.stream.Stream<java.nio.file.Path> procs = java.nio.file.Files.list(java.nio.file.Path.of("/proc"))) {
      for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) procs::iterator) {
        if (!p.getFileName().toString().matches("\\d+")) {
          continue;
        }
        try {
          String stat = java.nio.file.Files.readString(p.resolve("stat"));
          int open = stat.indexOf('('), close = stat.lastIndexOf(')');
          if (open < 0 || close < 0 || !stat.substring(open + 1, close).equals("postgres")) {
            continue;
          }
          String[] f = stat.substring(close + 2).split(" ");
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
        } catch (java.io.IOException | RuntimeException gone) {
          // a process that ended meanwhile
        }
      }
    } catch (java.io.IOException e) {
      return 0;
    }
    return ticks * 10_000_000L; // USER_HZ is 100 on Linux
  }

  static void print(long[] a, long[] b, long messages) {
    if (messages <= 0) {
      return;
    }
    System.out.printf("  CPU per message: process %.0f µs, store writer %.0f µs; bytes written (syscalls) %.0f per message%n",
        (b[0] - a[0]) / 1e3 / messages, (b[1] - a[1]) / 1e3 / messages, (double) (b[2] - a[2]) / messages);
    if (b[3] > a[3]) {
      System.out.printf("  CPU per message of the database server (processes named postgres): %.0f µs%n",
          (b[3] - a[3]) / 1e3 / messages);
    }
  }
}
