package io.parlor.core.store;

import java.nio.file.Path;

/** Test helper run in a second JVM: holds a SQLite store's lock until its stdin closes. */
public final class LockHolder {
  private LockHolder() {}

  public static void main(String[] args) throws Exception {
    java.nio.channels.FileLock lock = SqliteStore.lock(Path.of(args[0]));
    System.out.println(lock == null ? "not held" : "held");
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the test closes our stdin
    }
  }
}
