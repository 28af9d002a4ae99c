package io.parlor.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: a newcomer trying the web page on a local node sees the sign-in code — {@code parlor
 * demo --stay} keeps the simulated networks up and prints what they receive; the code printed
 * signs the person in.
 */
class DemoStayIT {
  @Test
  void theCodeAPersonAsksForAppearsAndSignsThemIn() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    CountDownLatch stop = new CountDownLatch(1);
    AtomicInteger code = new AtomicInteger(-1);
    Thread demo = new Thread(() -> code.set(Demo.run(java.nio.file.Path.of("../../config/demo.yaml"), out, out, stop)), "demo");
    demo.start();
    try {
      await(() -> bytes.toString(StandardCharsets.UTF_8).contains("The node stays up") || !demo.isAlive());
      assertTrue(demo.isAlive(), "the demo stays up: " + bytes.toString(StandardCharsets.UTF_8));
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8089/v1/auth/start"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"textnet:newcomer\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(202, started.statusCode(), started.body());
      Pattern printed = Pattern.compile("received for textnet:newcomer from @parlor: \"[^\"]*?(\\d{6})");
      await(() -> printed.matcher(bytes.toString(StandardCharsets.UTF_8)).find());
      Matcher m = printed.matcher(bytes.toString(StandardCharsets.UTF_8));
      assertTrue(m.find());
      HttpResponse<String> verified = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8089/v1/auth/verify"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"textnet:newcomer\",\"code\":\"" + m.group(1) + "\"}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, verified.statusCode(), verified.body());
    } finally {
      stop.countDown();
      demo.join(30_000);
    }
    assertEquals(0, code.get(), bytes.toString(StandardCharsets.UTF_8));
  }

  private static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out");
      }
      Thread.sleep(20);
    }
  }
}
