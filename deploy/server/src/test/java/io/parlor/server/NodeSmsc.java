package io.parlor.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The SMSC built on the npm {@code smpp} package (adapters/smpp/src/test/node/smsc.js), an SMPP
 * stack that is not jsmpp, as a child process: its events (one line each on stdout) and its
 * commands (a mobile-originated SMS). Installs its npm package the first time.
 */
final class NodeSmsc implements AutoCloseable {
  private final Process process;
  private final Writer in;
  private final LinkedBlockingQueue<Map<String, String>> events = new LinkedBlockingQueue<>();
  private final Duration wait;
  final int port;

  /** One SMS the node submitted: its source (as sent, without {@code +}), destination and text. */
  record Sms(String source, String dest, String text) {}

  NodeSmsc(Path logDir, Duration wait) throws Exception {
    this.wait = wait;
    File smscDir = new File(System.getProperty("smpp.node.dir", "../../adapters/smpp/src/test/node"));
    assertTrue(new File(smscDir, "smsc.js").isFile(), "missing " + smscDir + "/smsc.js");
    if (!new File(smscDir, "node_modules/smpp").isDirectory()) {
      WebPageIT.Run npm = WebPageIT.run(smscDir.toPath(), Duration.ofMinutes(3), Map.of(), "npm", "ci", "--no-audit", "--no-fund");
      assertEquals(0, npm.exit(), "npm ci failed in " + smscDir + ":\n" + npm.output());
    }
    // never share this JVM's stdin with a child (surefire talks to the forked JVM over it)
    process = new ProcessBuilder("node", "smsc.js", "0").directory(smscDir)
        .redirectError(ProcessBuilder.Redirect.appendTo(logDir.resolve("smsc.log").toFile())).start();
    in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readEvents, "node-smsc-stdout");
    reader.setDaemon(true);
    reader.start();
    port = Integer.parseInt(next("listening").get("port"));
  }

  private void readEvents() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        String[] a = line.trim().split(" ");
        Map<String, String> fields = new HashMap<>();
        fields.put("event", a[0]);
        for (int i = 1; i < a.length; i++) {
          int eq = a[i].indexOf('=');
          if (eq > 0) {
            fields.put(a[i].substring(0, eq), a[i].substring(eq + 1));
          }
        }
        events.add(fields);
      }
    } catch (java.io.IOException e) {
      // the SMSC ended
    }
  }

  /** The next event called {@code name}, skipping others; fails after the wait. */
  Map<String, String> next(String name) throws InterruptedException {
    long end = System.nanoTime() + wait.toNanos();
    while (true) {
      Map<String, String> e = events.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        fail("node SMSC sent no '" + name + "'" + (process.isAlive() ? "" : " (it exited)"));
      }
      if (e.get("event").equals(name)) {
        return e;
      }
    }
  }

  /** The next SMS the node submitted. */
  Sms nextSms() throws InterruptedException {
    Map<String, String> e = next("submit");
    return new Sms(e.get("source").replace("+", ""), e.get("dest").replace("+", ""),
        new String(HexFormat.of().parseHex(e.get("text")), StandardCharsets.UTF_8));
  }

  /** The next SMS the node submitted whose text contains {@code part}, skipping others. */
  Sms nextSmsSaying(String part) throws InterruptedException {
    while (true) {
      Sms s = nextSms();
      if (s.text().contains(part)) {
        return s;
      }
    }
  }

  /** A user's SMS from {@code source} to {@code dest} (GSM 7-bit default alphabet). */
  void mo(String source, String dest, String text) throws java.io.IOException {
    in.write("mo " + source + " " + dest + " 0 " + HexFormat.of().formatHex(text.getBytes(StandardCharsets.UTF_8)) + "\n");
    in.flush();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
