package io.parlor.adapter.smpp;

import static io.parlor.adapter.smpp.ItSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.parlor.adapter.smpp.ItSupport.FakeCore;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.HealthState;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The adapter against an SMSC built on the npm {@code smpp} package (src/test/node/smsc.js), an
 * SMPP implementation independent of jsmpp: its GSM 03.38 and UCS-2 decoders check our encoders,
 * its receipts (decimal id in the text, hex id in the TLV) check our correlation. Needs node and
 * npm on the PATH; runs {@code npm ci} when node_modules is missing. Fails, never skips, when it
 * cannot run.
 */
class SmppNodeSmscIT {
  private static Process node;
  private static Writer stdin;
  private static final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private static FakeCore core;
  private static SmppAdapter adapter;

  record Event(String name, Map<String, String> fields) {
    String get(String k) {
      return fields.get(k);
    }

    String text() {
      return new String(HexFormat.of().parseHex(fields.get("text")), StandardCharsets.UTF_8);
    }
  }

  @BeforeAll
  static void startNodeSmsc() throws Exception {
    File dir = new File(System.getProperty("smpp.node.dir", "src/test/node"));
    assertTrue(new File(dir, "smsc.js").isFile(), "missing " + dir + "/smsc.js");
    if (!new File(dir, "node_modules/smpp").isDirectory()) {
      run(dir, Duration.ofMinutes(3), "npm", "ci", "--no-audit", "--no-fund");
    }
    // Never share this JVM's stdin/stdout/stderr with a child: surefire talks to the forked JVM over
    // them, and node switches an inherited stdin to non-blocking mode ("std/in stream corrupted").
    File log = new File(System.getProperty("smpp.node.log", "target/node-smsc.log"));
    log.getParentFile().mkdirs();
    node = new ProcessBuilder("node", "smsc.js", "0").directory(dir)
        .redirectError(ProcessBuilder.Redirect.appendTo(log)).start();
    stdin = new OutputStreamWriter(node.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> readEvents(node), "node-smsc-stdout");
    reader.setDaemon(true);
    reader.start();
    Event listening = next("listening", Duration.ofSeconds(20));
    int port = Integer.parseInt(listening.get("port"));
    core = new FakeCore();
    adapter = core.adapter(ItSupport.config(port, Map.of("responseTimeout", "PT10S")));
    adapter.start();
    await("bind to the node SMSC", Duration.ofSeconds(15), () -> adapter.health().state() == HealthState.CONNECTED);
    next("bound", Duration.ofSeconds(5));
  }

  @AfterAll
  static void stopNodeSmsc() throws Exception {
    if (adapter != null) {
      adapter.stop(Duration.ofSeconds(1)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    if (node != null) {
      node.destroy();
      if (!node.waitFor(5, TimeUnit.SECONDS)) {
        node.destroyForcibly();
      }
    }
  }

  @Test
  void gsm7MessageIsDecodedByTheNodeSmscAndItsReceiptCorrelates() throws Exception {
    String body = "Hi €5 {ok} [x] ~^|\\ @£";
    DeliveryResult r = send("gw-n1", "sms:~relay1", body);
    Event submit = next("submit", Duration.ofSeconds(5));
    assertEquals(body, submit.text());
    assertEquals("0", submit.get("dataCoding"));
    assertEquals("447700900123", submit.get("dest"));
    assertEquals("1", submit.get("destTon"));
    assertEquals("1", submit.get("destNpi"));
    assertEquals("12345", submit.get("source"));
    assertEquals("1", submit.get("registeredDelivery"));
    assertEquals(submit.get("id"), r.networkMessageId());
    SmsReceipt receipt = receiptFor("gw-n1");
    assertEquals(r.networkMessageId(), receipt.networkMessageId());
    assertEquals(SmsReceipt.Outcome.DELIVERED, receipt.outcome());
    assertEquals("0", next("receipt_resp", Duration.ofSeconds(5)).get("status"));
  }

  @Test
  void ucs2MessageWithValidity() throws Exception {
    String body = "Привет 😀 ça va";
    Instant expires = Instant.now().plusSeconds(600);
    Envelope e = ItSupport.text("m-n2", "sms:~relay1", body).withExpiresAt(expires);
    adapter.deliver(e, new DeliveryTarget(Address.of("sms:+447700900123"), "gw-n2")).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    Event submit = next("submit", Duration.ofSeconds(5));
    assertEquals(body, submit.text());
    assertEquals("8", submit.get("dataCoding"));
    long validity = Long.parseLong(submit.get("validityMillis"));
    assertTrue(Math.abs(validity - expires.toEpochMilli()) < 5000, "relative validity ends at expiresAt");
    assertEquals(SmsReceipt.Outcome.DELIVERED, receiptFor("gw-n2").outcome());
  }

  @Test
  void longMessageTravelsAsThreeParts() throws Exception {
    String body = "Long message. ".repeat(30);
    DeliveryResult r = send("gw-n3", "sms:~relay1", body);
    List<Event> parts = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      parts.add(next("submit", Duration.ofSeconds(5)));
    }
    parts.sort(Comparator.comparing(p -> p.get("udh")));
    StringBuilder joined = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      String udh = parts.get(i).get("udh");
      assertTrue(udh.startsWith("0003") && udh.endsWith("03" + String.format("%02x", i + 1)), udh);
      assertEquals(0x40, Integer.parseInt(parts.get(i).get("esmClass")) & 0x40, "UDHI");
      joined.append(parts.get(i).text());
    }
    assertEquals(body, joined.toString());
    assertEquals(parts.get(0).get("id"), r.networkMessageId());
    assertEquals(r.networkMessageId(), receiptFor("gw-n3").networkMessageId());
  }

  @Test
  void inboundMessagesFromTheNodeSmsc() throws Exception {
    command("mo 447700900123 12345 0 " + hex("Hello from node €") + "");
    Envelope e = core.envelopes.poll(5, TimeUnit.SECONDS);
    assertNotNull(e);
    assertEquals(Address.of("sms:+447700900123"), e.from());
    assertEquals(Address.of("sms:12345"), e.to());
    assertEquals("Hello from node €", ((Content.Text) e.content()).text());
    assertEquals("0", next("mo_resp", Duration.ofSeconds(5)).get("status"));

    command("mo 447700900123 447700900001 8 " + hex("Часть 1, ") + " 050003070201");
    assertEquals("0", next("mo_resp", Duration.ofSeconds(5)).get("status"));
    command("mo 447700900123 447700900001 8 " + hex("часть 2") + " 050003070202");
    Envelope joined = core.envelopes.poll(5, TimeUnit.SECONDS);
    assertEquals("Часть 1, часть 2", ((Content.Text) joined.content()).text());
    assertEquals(Address.of("sms:+447700900001"), joined.to());
    assertEquals("0", next("mo_resp", Duration.ofSeconds(5)).get("status"));
  }

  private static DeliveryResult send(String key, String from, String body) throws Exception {
    return adapter.deliver(ItSupport.text("m-" + key, from, body),
        new DeliveryTarget(Address.of("sms:+447700900123"), key)).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The receipt of {@code key}, skipping receipts of other tests. */
  private static SmsReceipt receiptFor(String key) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < end) {
      SmsReceipt r = core.receipts.poll(100, TimeUnit.MILLISECONDS);
      if (r != null && r.idempotencyKey().equals(key)) {
        return r;
      }
    }
    return fail("no receipt for " + key + " from the node SMSC");
  }

  private static String hex(String s) {
    return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
  }

  private static synchronized void command(String line) throws IOException {
    stdin.write(line + "\n");
    stdin.flush();
  }

  private static Event next(String name, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = end - System.nanoTime();
      Event e = events.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
      if (e == null) {
        fail("node SMSC sent no '" + name + "' within " + timeout + (node.isAlive() ? "" : " (node exited)"));
      }
      if (e.name().equals(name)) {
        return e;
      }
      if (e.name().equals("error")) {
        fail("node SMSC error: " + new String(HexFormat.of().parseHex(e.get("message")), StandardCharsets.UTF_8));
      }
    }
  }

  private static void readEvents(Process p) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String[] a = line.trim().split(" ");
        Map<String, String> fields = new HashMap<>();
        for (int i = 1; i < a.length; i++) {
          int eq = a[i].indexOf('=');
          if (eq > 0) {
            fields.put(a[i].substring(0, eq), a[i].substring(eq + 1));
          }
        }
        events.add(new Event(a[0], fields));
      }
    } catch (IOException e) {
      // process ended
    }
  }

  private static void run(File dir, Duration timeout, String... cmd) throws Exception {
    File log = new File("target/" + cmd[0] + "-" + cmd[1] + ".log");
    log.getParentFile().mkdirs();
    Process p;
    try {
      // stdin from /dev/null and output to a file: see startNodeSmsc for why nothing is inherited.
      p = new ProcessBuilder(cmd).directory(dir)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true).redirectOutput(log).start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + String.join(" ", cmd) + " (is node/npm installed?)", e);
    }
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail(String.join(" ", cmd) + " did not finish within " + timeout + "; output in " + log.getAbsolutePath());
    }
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed in " + dir + ":\n"
        + java.nio.file.Files.readString(log.toPath(), StandardCharsets.UTF_8));
  }
}
