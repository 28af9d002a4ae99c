package io.parlor.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * What a fault test measured, appended to {@code target/reliability-figures.txt} (not printed: the
 * suite's output stays quiet); docs/reliability.md quotes these lines.
 */
final class Figures {
  private Figures() {}

  static void record(String scenario, String line) {
    try {
      Files.writeString(Path.of("target", "reliability-figures.txt"),
          Instant.now() + " " + scenario + ": " + line + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
