package io.parlor.adapter.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.EventKind;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.http.HttpRoute;
import io.parlor.tck.AdapterConformanceKit;
import io.parlor.tck.NetworkFake;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The conformance kit against the webhook adapter: WireMock plays the network's servers, and the
 * network's requests to Parlor go to the adapter's routes as the core's HTTP server would pass them.
 */
class WebhookConformanceIT extends AdapterConformanceKit {
  static final String SECRET = "kit-webhook-secret-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected NetworkFake startNetwork() {
    return new HookNetwork();
  }

  @Override
  protected Adapter createAdapter(NetworkFake network, AdapterContext context) {
    HookNetwork n = (HookNetwork) network;
    URI base = URI.create(n.server.baseUrl());
    WebhookConfig config = new WebhookConfig(SECRET, base.resolve("/messages"), base.resolve("/status"), Set.of(), 4096, false,
        List.of(), Duration.ofSeconds(5), 8, io.parlor.spi.Capabilities.allConversationContent(),
        EnumSet.of(EventKind.READ, EventKind.TYPING), base.resolve("/events"));
    WebhookAdapter a = new WebhookAdapter(config, context);
    n.routes = a.routes();
    return a;
  }

  /** The network: its servers (WireMock) and its calls to the adapter's routes. */
  static final class HookNetwork implements NetworkFake {
    WireMockServer server;
    volatile List<HttpRoute> routes;
    private final int port;

    record Posted(byte[] body, CompletableFuture<HttpResponse> answer) implements Sent {}

    HookNetwork() {
      server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
      server.start();
      port = server.port();
      stubs();
    }

    private void stubs() {
      for (String path : List.of("/messages", "/status", "/events")) {
        server.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(200)));
      }
    }

    @Override
    public NetworkId network() {
      return NetworkId.of("hook");
    }

    @Override
    public Address recipient() {
      return Address.of("hook:bob");
    }

    private CompletableFuture<HttpResponse> call(String path, byte[] body) {
      HttpRoute route = routes.stream().filter(r -> r.path().equals("/v1/networks/hook" + path)).findFirst().orElseThrow();
      Instant now = Instant.now();
      HttpRequest request = new HttpRequest("POST", route.path(), Map.of(),
          Map.of("parlor-signature", List.of(new Signatures(SECRET).sign(body, now)), "content-type", List.of("application/json")),
          body);
      return route.handler().handle(request).toCompletableFuture();
    }

    @Override
    public Sent sendText(String text) {
      String json = JSON.createObjectNode().put("id", "h-" + UUID.randomUUID()).put("from", "hook:alice").put("to", "~kit0peer")
          .put("sentAt", Instant.now().toString()).set("content", JSON.createObjectNode().put("type", "text").put("text", text))
          .toString();
      byte[] body = json.getBytes(StandardCharsets.UTF_8);
      return new Posted(body, call("/messages", body));
    }

    @Override
    public boolean redeliver(Sent sent) {
      call("/messages", ((Posted) sent).body());
      return true;
    }

    @Override
    public boolean acknowledges() {
      return true;
    }

    @Override
    public Ack ackOf(Sent sent) {
      CompletableFuture<HttpResponse> f = ((Posted) sent).answer();
      if (!f.isDone()) {
        return Ack.PENDING;
      }
      int status = f.join().status();
      return status / 100 == 2 ? Ack.TAKEN : status == 503 || status == 429 ? Ack.RETRY : Ack.REFUSED;
    }

    private List<JsonNode> bodies(String path) {
      List<JsonNode> out = new ArrayList<>();
      server.findAll(postRequestedFor(urlEqualTo(path))).forEach(r -> {
        try {
          out.add(JSON.readTree(r.getBodyAsString()));
        } catch (java.io.IOException e) {
          throw new AssertionError(e);
        }
      });
      return out;
    }

    @Override
    public List<Delivered> delivered() {
      return bodies("/messages").stream().map(b -> new Delivered(
          ContentKind.fromWire(b.path("content").path("type").asText()).orElse(null),
          b.path("content").path("text").isTextual() ? b.path("content").path("text").asText() : null)).toList();
    }

    private void once(ResponseDefinitionBuilder answer) {
      String scenario = "once-" + UUID.randomUUID();
      server.stubFor(post(urlEqualTo("/messages")).atPriority(1).inScenario(scenario)
          .whenScenarioStateIs(Scenario.STARTED).willReturn(answer).willSetStateTo("answered"));
    }

    @Override
    public boolean failNext(Failure failure) {
      once(aResponse().withStatus(failure == Failure.TRANSIENT ? 503 : 400)
          .withHeader("Content-Type", "application/json").withBody("{\"error\":\"kit\"}"));
      return true;
    }

    @Override
    public boolean rateLimitNext(Duration wait) {
      once(aResponse().withStatus(429).withHeader("Retry-After", String.valueOf(wait.toSeconds())));
      return true;
    }

    @Override
    public boolean slowNext(Duration delay) {
      once(aResponse().withStatus(200).withFixedDelay((int) delay.toMillis()));
      return true;
    }

    @Override
    public void goDown() {
      server.stop();
    }

    @Override
    public void comeBack() {
      server = new WireMockServer(options().port(port).bindAddress("127.0.0.1"));
      server.start();
      stubs();
    }

    @Override
    public boolean readLast() {
      List<JsonNode> sent = bodies("/messages");
      String id = sent.get(sent.size() - 1).path("id").asText();
      String json = "{\"type\":\"read\",\"from\":\"hook:bob\",\"to\":\"~kit0peer\",\"ids\":[\"" + id + "\"],\"at\":\""
          + Instant.now() + "\"}";
      call("/events", json.getBytes(StandardCharsets.UTF_8));
      return true;
    }

    @Override
    public int readsShown() {
      return (int) bodies("/status").stream().filter(b -> b.path("status").asText().equals("read")).count();
    }

    @Override
    public int typingShown() {
      return (int) bodies("/events").stream().filter(b -> b.path("type").asText().equals("typing")).count();
    }

    @Override
    public boolean ownThread(Thread t) {
      String n = t.getName();
      return n.startsWith("qtp") || n.contains("WireMock") || n.contains("Scheduler-") || n.contains("jetty");
    }

    @Override
    public void close() {
      server.stop();
    }
  }
}
