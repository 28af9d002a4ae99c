package io.parlor.adapter.xmpp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real Prosody (Debian's {@code prosody}), started by the test on 127.0.0.1 and free ports, in a
 * directory of its own: one virtual host ({@code localhost}) with plain-text sign-in on loopback,
 * and one external component whose secret the test knows. {@code ./parlor test} installs Prosody.
 */
public final class ProsodyServer implements AutoCloseable {
  public static final String PROSODY = "/usr/bin/prosody";
  public static final String DOMAIN = "localhost";

  public final Path dir;
  public final String component;
  public final String secret;
  public final int c2sPort;
  public final int componentPort;
  private Process process;

  public ProsodyServer(Path dir, String component, String secret) throws IOException, InterruptedException {
    if (!Files.isExecutable(Path.of(PROSODY))) {
      throw new IllegalStateException("Prosody is not installed: run ./parlor test, or apt-get install -y prosody");
    }
    this.dir = dir;
    this.component = component;
    this.secret = secret;
    // both held open while they are chosen: two different ports (one chosen after the other was
    // closed could be the same)
    try (ServerSocket a = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      this.c2sPort = a.getLocalPort();
      this.componentPort = b.getLocalPort();
    }
    Files.createDirectories(dir.resolve("data"));
    Files.createDirectories(dir.resolve("certs"));
    Files.writeString(dir.resolve("prosody.cfg.lua"), String.join("\n",
        "run_as_root = true",
        "pidfile = \"" + dir.resolve("prosody.pid") + "\"",
        "data_path = \"" + dir.resolve("data") + "\"",
        "certificates = \"" + dir.resolve("certs") + "\"",
        "log = { info = \"" + dir.resolve("prosody.log") + "\" }",
        "interfaces = { \"127.0.0.1\" }",
        "c2s_ports = { " + c2sPort + " }",
        "c2s_interfaces = { \"127.0.0.1\" }",
        "c2s_direct_tls_ports = { }",
        "legacy_ssl_ports = { }",
        "s2s_ports = { }",
        "component_ports = { " + componentPort + " }",
        "component_interfaces = { \"127.0.0.1\" }",
        "c2s_require_encryption = false",
        "allow_unencrypted_plain_auth = true",
        "authentication = \"internal_plain\"",
        "modules_enabled = { \"roster\"; \"saslauth\"; \"disco\"; \"ping\"; \"offline\" }",
        "modules_disabled = { \"s2s\"; \"tls\" }",
        "VirtualHost \"" + DOMAIN + "\"",
        "Component \"" + component + "\"",
        "  component_secret = \"" + secret + "\"",
        ""));
    start();
  }

  /** Registers an account ({@code prosodyctl register}). */
  public void register(String user, String password) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("prosodyctl", "--config", config(), "register", user, DOMAIN, password)
        .redirectErrorStream(true).redirectOutput(dir.resolve("prosodyctl.log").toFile()).start();
    if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("prosodyctl register failed: " + Files.readString(dir.resolve("prosodyctl.log")));
    }
  }

  public void start() throws IOException, InterruptedException {
    process = new ProcessBuilder(PROSODY, "--config", config(), "-F")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("prosody.out").toFile())).start();
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!listening(c2sPort) || !listening(componentPort)) {
      if (!process.isAlive()) {
        throw new IOException("Prosody stopped at start: " + Files.readString(dir.resolve("prosody.out")));
      }
      if (System.nanoTime() > until) {
        throw new IOException("Prosody did not listen within 20 s");
      }
      Thread.sleep(50);
    }
  }

  /** Stops the server (SIGTERM), and waits for it. */
  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Freezes the server (SIGSTOP): its connections stay open and nothing answers. */
  public void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  /** Lets a frozen server go on (SIGCONT). */
  public void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  private void signal(String sig) throws IOException, InterruptedException {
    new ProcessBuilder("kill", sig, Long.toString(process.pid())).start().waitFor();
  }

  /** What the server logged (for assertions and failures). */
  public String log() throws IOException {
    Path p = dir.resolve("prosody.log");
    return Files.exists(p) ? Files.readString(p) : "";
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private String config() {
    return dir.resolve("prosody.cfg.lua").toString();
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

}
