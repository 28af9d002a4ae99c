package io.parlor.core.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.parlor.adapter.webhook.WebhookAdapterProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target (Jazzer) of the config file: any bytes give a config or a list of problems, each
 * naming a key — never an exception (check-config and serve would print a stack trace instead of
 * the problem). Corpus: the shipped configs, in {@code src/test/resources/…/ConfigFuzzTestInputs};
 * fuzz for a minute with {@code JAZZER_FUZZ=1 mvn -o test -Djazzer.hooks=true -pl gateway-core -Dtest=ConfigFuzzTest}.
 */
class ConfigFuzzTest {
  private static final Path FILE;

  static {
    try {
      FILE = Files.createTempFile("parlor-fuzz-", ".yaml");
      FILE.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void config(byte[] yaml) throws IOException {
    Files.write(FILE, yaml);
    ConfigLoader.Result r = new ConfigLoader(Map.of(), List.of(new WebhookAdapterProvider())).load(FILE);
    if (!r.ok() && r.problems().isEmpty()) {
      throw new AssertionError("refused without saying why");
    }
    r.problems().forEach(p -> {
      if (p.toString().isBlank()) {
        throw new AssertionError("a problem that names nothing");
      }
    });
  }
}
