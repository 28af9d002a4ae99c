package io.parlor.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, through the real {@code ./parlor} launcher run from another directory: a relative
 * {@code check-config FILE} or {@code --config FILE} is the caller's, and a relative path inside a
 * config starts at that config file's directory.
 */
class LauncherIT {
  @TempDir Path dir;

  private ProcessBuilder launcher(String... args) {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of("../../parlor").toAbsolutePath().normalize().toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("PARLOR_JAR", NodeProcess.jar().toAbsolutePath().toString());
    return pb;
  }

  private Path config(int port) throws Exception {
    Path sub = Files.createDirectories(dir.resolve("sub"));
    Path f = sub.resolve("node.yaml");
    Files.writeString(f, String.join("\n",
        "http:", "  port: " + port,
        "store:", "  path: ./store/p.db",
        "networks:",
        "  - id: chat", "    type: webhook", "    secret: chat-secret-0123456789",
        "    deliveryUrl: http://127.0.0.1:9/messages", ""));
    return f;
  }

  @Test
  void checkConfigTakesAPathRelativeToTheCaller() throws Exception {
    config(8080);
    Process p = launcher("check-config", "sub/node.yaml").start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("sub/node.yaml: OK"), out);
  }

  @Test
  void serveResolvesTheStoreFromTheConfigFilesDirectory() throws Exception {
    int port = NodeProcess.freePort();
    config(port);
    Process p = launcher("serve", "--config", "sub/node.yaml").redirectOutput(dir.resolve("node.log").toFile()).start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      int status = 0;
      while (status != 200 && System.nanoTime() < until && p.isAlive()) {
        try {
          status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
              HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException notYet) {
          Thread.sleep(50);
        }
      }
      assertEquals(200, status, Files.readString(dir.resolve("node.log")));
      assertTrue(Files.exists(dir.resolve("sub/store/p.db")), "the store next to its config");
      assertTrue(!Files.exists(dir.resolve("store")), "not in the caller's directory");
    } finally {
      p.destroy();
      assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    }
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("node.log")));
  }
}
