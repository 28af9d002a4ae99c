package io.parlor.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.parlor.adapter.webhook.Signatures;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny network speaking the generic webhook protocol, for the demo: it prints what Parlor
 * delivers to it (checking the signature) and sends signed messages on behalf of its users.
 */
final class SimulatedNetwork implements AutoCloseable {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String id;
  private final Signatures signatures;
  private final PrintStream out;
  private final HttpServer server;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();

  SimulatedNetwork(String id, String secret, int port, PrintStream out) throws IOException {
    this.id = id;
    this.signatures = new Signatures(secret);
    this.out = out;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/parlor/messages", ex -> receive(ex, "message"));
    server.createContext("/parlor/status", ex -> receive(ex, "status"));
    server.start();
  }

  private void receive(HttpExchange ex, String kind) throws IOException {
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readAllBytes();
    }
    boolean valid =
        signatures.verify(ex.getRequestHeaders().getFirst(Signatures.HEADER), body, Instant.now());
    JsonNode n = MAPPER.readTree(body);
    if (kind.equals("message")) {
      received.add(n);
      out.printf(
          "  [%s] received for %s from %s: \"%s\"  (signature %s, Idempotency-Key %s)%n",
          id, n.path("to").asText(), n.path("from").asText(), n.path("content").path("text").asText(),
          valid ? "valid" : "INVALID", ex.getRequestHeaders().getFirst("Idempotency-Key"));
    } else {
      out.printf("  [%s] status of its message %s: %s%n", id, n.path("id").asText(), n.path("status").asText());
    }
    ex.sendResponseHeaders(valid ? 200 : 401, -1);
    ex.close();
  }

  /** Sends a signed message to the node; returns "HTTP status body". */
  String send(int nodePort, String msgId, String from, String to, String text) throws IOException, InterruptedException {
    String json =
        MAPPER.createObjectNode()
            .put("id", msgId)
            .put("from", from)
            .put("to", to)
            .put("sentAt", Instant.now().toString())
            .set("content", MAPPER.createObjectNode().put("type", "text").put("text", text))
            .toString();
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodePort + "/v1/networks/" + id + "/messages"))
                .header("content-type", "application/json")
                .header(Signatures.HEADER, signatures.sign(body, Instant.now()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  List<JsonNode> received() {
    return received;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
