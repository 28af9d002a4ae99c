package io.parlor.server;

import io.parlor.core.Gateway;
import io.parlor.core.config.GatewayConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * {@code parlor demo}: starts a node with {@code config/demo.yaml} and two simulated webhook
 * networks ("chatapp" and "textnet") that print what they receive, then plays a scripted
 * exchange: opt-in, a message across networks, the reply through the relay handle, and a message
 * refused because the recipient did not opt in.
 */
final class Demo {
  static final Path CONFIG = Main.home().resolve("config/demo.yaml");

  private Demo() {}

  static int run(PrintStream out, PrintStream err) {
    return run(out, err, null);
  }

  /**
   * @param stay null: the script, then stop; else keep the node and both simulated networks up
   *     after the script — printing everything they receive, sign-in codes included — until it
   *     counts down (SIGTERM or Ctrl-C), so that a person can try the web page
   */
  static int run(PrintStream out, PrintStream err, java.util.concurrent.CountDownLatch stay) {
    Logging.configure("text", "warn"); // the demo's own output is the point: the node's log stays quiet
    return run(CONFIG, out, err, stay);
  }

  static int run(Path configFile, PrintStream out, PrintStream err, java.util.concurrent.CountDownLatch stay) {
    GatewayConfig config = Main.load(configFile, err);
    if (config == null) {
      return 2;
    }
    deleteStore(config.storePath());
    try (SimulatedNetwork chatapp = new SimulatedNetwork("chatapp", "demo-chatapp-secret-0001", 9101, out);
        SimulatedNetwork textnet = new SimulatedNetwork("textnet", "demo-textnet-secret-0002", 9102, out);
        Gateway node = Gateway.start(config, Clock.systemUTC())) {
      int port = node.port();
      out.println("Parlor demo: node on 127.0.0.1:" + port + ", networks chatapp and textnet");
      out.println();
      out.println("1. Bob opts in and links two accounts (textnet:bob preferred, chatapp:bob);");
      out.println("   Carol is known but has not opted in.");
      out.println("   " + admin(port, "bob",
          "{\"accounts\":[\"textnet:bob\",\"chatapp:bob\"],\"preferred\":\"textnet:bob\",\"optIn\":true}"));
      out.println("   " + admin(port, "carol", "{\"accounts\":[\"textnet:carol\"],\"optIn\":false}"));
      out.println();
      out.println("2. Alice on chatapp writes to chatapp:bob; it arrives where Bob prefers (textnet),");
      out.println("   from a relay handle instead of Alice's account:");
      out.println("   chatapp -> Parlor: " + chatapp.send(port, "a-1", "chatapp:alice", "chatapp:bob", "Hi Bob, lunch today?"));
      waitFor(() -> textnet.received().size() >= 1);
      String handle = textnet.received().get(0).path("from").asText();
      out.println();
      out.println("3. Bob replies on textnet to " + handle + "; the reply reaches Alice on chatapp:");
      out.println("   textnet -> Parlor: " + textnet.send(port, "b-1", "textnet:bob", handle, "Sure, 12:30!"));
      waitFor(() -> chatapp.received().size() >= 1);
      out.println();
      out.println("4. Alice writes to Carol, who has not opted in: refused, and nothing is stored:");
      out.println("   chatapp -> Parlor: " + chatapp.send(port, "a-2", "chatapp:alice", "textnet:carol", "Hello Carol"));
      out.println();
      out.println("5. Sending a-1 again is recognised as a duplicate and not delivered twice:");
      out.println("   chatapp -> Parlor: " + chatapp.send(port, "a-1", "chatapp:alice", "chatapp:bob", "Hi Bob, lunch today?"));
      Thread.sleep(500);
      out.println();
      if (stay != null) {
        out.println("The node stays up: open http://127.0.0.1:" + port + "/ and sign in as chatapp:bob,");
        out.println("textnet:bob or any chatapp:<name> / textnet:<name> address. Both networks are simulated");
        out.println("here, so the one-time code the node sends appears below as that network receives it.");
        out.println("Ctrl-C stops the demo (its store is deleted).");
        out.flush();
        stay.await();
        return 0;
      }
      out.println("Done. Run `./parlor serve` for a real node, or `./parlor demo --stay` to try the web");
      out.println("page with these simulated networks; see README.md.");
      return 0;
    } catch (IOException e) {
      err.println("demo failed: " + e.getMessage() + " (are ports 9101, 9102 and the demo port free?)");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      deleteStore(config.storePath());
    }
  }

  private static String admin(int port, String person, String json) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/v1/people/" + person))
                    .header("content-type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(json))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return "PUT /admin/v1/people/" + person + " -> " + r.statusCode() + " " + r.body();
  }

  private static void waitFor(BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    Thread.sleep(200); // let the status callback print
  }

  private static void deleteStore(Path db) {
    for (String suffix : new String[] {"", "-wal", "-shm"}) {
      try {
        Files.deleteIfExists(Path.of(db + suffix));
      } catch (IOException ignored) {
        // best effort: the demo's own scratch database
      }
    }
  }
}
