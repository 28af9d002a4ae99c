package io.parlor.server;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A node run as a separate JVM from the fat jar, as operators run it. */
final class NodeProcess implements AutoCloseable {
  final Path config;
  final Path log;
  final int port;
  final String maxHeap;
  Process process;

  NodeProcess(Path config, Path log, int port) {
    this(config, log, port, "256m");
  }

  /** @param maxHeap the JVM's {@code -Xmx}, e.g. {@code 64m} */
  NodeProcess(Path config, Path log, int port, String maxHeap) {
    this.config = config;
    this.log = log;
    this.port = port;
    this.maxHeap = maxHeap;
  }

  static Path jar() {
    String p = System.getProperty("parlor.jar", "target/parlor.jar");
    Path jar = Path.of(p);
    if (!Files.exists(jar)) {
      throw new IllegalStateException("fat jar missing: " + jar + " (run mvn verify, not only test)");
    }
    return jar;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * Posts {@code body} to network {@code neta}'s ingress, signed with {@code secret}; the status,
   * or -1 when no answer came (connection refused or reset, e.g. by a kill: not acknowledged).
   */
  static int postSigned(HttpClient http, int port, String secret, byte[] body, Duration timeout) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/networks/neta/messages"))
                  .timeout(timeout)
                  .header("Parlor-Signature", new io.parlor.adapter.webhook.Signatures(secret).sign(body, java.time.Instant.now()))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  NodeProcess start() throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx" + maxHeap,
            "-XX:+ExitOnOutOfMemoryError", // as the launcher runs it
            "-jar",
            jar().toString(),
            "serve",
            "--config",
            config.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    process = pb.start();
    HttpClient http = HttpClient.newHttpClient();
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < until) {
      if (!process.isAlive()) {
        throw new IllegalStateException("node exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return this;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("node did not become ready: " + Files.readString(log));
  }

  /** SIGKILL: no shutdown hook, no drain. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM; returns the exit code. */
  int terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("node did not stop within " + timeout);
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      kill();
    }
  }
}
