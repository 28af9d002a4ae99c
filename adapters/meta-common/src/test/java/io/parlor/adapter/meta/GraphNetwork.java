package io.parlor.adapter.meta;

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
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.http.HttpRoute;
import io.parlor.tck.NetworkFake;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * A Meta platform as the conformance kit drives it: WireMock plays the Graph API's send endpoint,
 * and the platform's webhook calls go to the adapter's route, signed with the app secret, as the
 * core's HTTP server passes them. Subclasses give the platform's payloads.
 */
public abstract class GraphNetwork implements NetworkFake {
  protected static final ObjectMapper JSON = new ObjectMapper();
  protected WireMockServer graph;
  private final int port;
  private final String sendPath;
  private final String sendAnswer;
  public volatile List<HttpRoute> routes;

  /** A webhook call and how the adapter answered it. */
  public record Call(byte[] body, CompletableFuture<HttpResponse> answer) implements Sent {}

  protected GraphNetwork(String sendPath, String sendAnswer) {
    this.sendPath = sendPath;
    this.sendAnswer = sendAnswer;
    graph = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    graph.start();
    port = graph.port();
    stubs();
  }

  public URI baseUrl() {
    return URI.create("http://127.0.0.1:" + port);
  }

  private void stubs() {
    graph.stubFor(post(urlEqualTo(sendPath)).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(sendAnswer)));
  }

  /** The webhook payload of a text message from the platform's user. */
  protected abstract String textPayload(String id, String text);

  /** Whether {@code body} (a request to the send endpoint) is a message, and its kind and text. */
  protected abstract Delivered kindOf(JsonNode body);

  /** Posts {@code payload} to the adapter's webhook route. */
  protected Call webhook(String payload) {
    HttpRoute route = routes.stream().filter(r -> r.method().equals("POST")).findFirst().orElseThrow();
    byte[] body = payload.getBytes(StandardCharsets.UTF_8);
    return new Call(body, route.handler().handle(MetaTestSupport.signedPost(route.path(), body)).toCompletableFuture());
  }

  @Override
  public Sent sendText(String text) {
    return webhook(textPayload("kit-" + UUID.randomUUID(), text));
  }

  @Override
  public boolean redeliver(Sent sent) {
    webhook(new String(((Call) sent).body(), StandardCharsets.UTF_8));
    return true;
  }

  @Override
  public boolean acknowledges() {
    return true;
  }

  @Override
  public Ack ackOf(Sent sent) {
    CompletableFuture<HttpResponse> f = ((Call) sent).answer();
    if (!f.isDone()) {
      return Ack.PENDING;
    }
    int s = f.join().status();
    return s == 200 ? Ack.TAKEN : s == 503 || s == 429 || s >= 500 ? Ack.RETRY : Ack.REFUSED;
  }

  /** Every request to the send endpoint, oldest first. */
  protected List<JsonNode> sends() {
    List<JsonNode> out = new ArrayList<>();
    graph.findAll(postRequestedFor(urlEqualTo(sendPath))).forEach(r -> {
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
    return sends().stream().map(this::kindOf).filter(d -> d != null).toList();
  }

  private void once(ResponseDefinitionBuilder answer) {
    graph.stubFor(post(urlEqualTo(sendPath)).atPriority(1).inScenario("once-" + UUID.randomUUID())
        .whenScenarioStateIs(Scenario.STARTED).willReturn(answer).willSetStateTo("answered"));
  }

  /** Graph's error body with this code. */
  protected static String error(int code) {
    return "{\"error\":{\"message\":\"kit\",\"type\":\"OAuthException\",\"code\":" + code + ",\"fbtrace_id\":\"Akit\"}}";
  }

  /** The Graph code of a failure that retrying will not fix, on this platform. */
  protected abstract int permanentCode();

  @Override
  public boolean failNext(Failure failure) {
    once(failure == Failure.TRANSIENT
        ? aResponse().withStatus(500).withHeader("Content-Type", "application/json").withBody(error(2))
        : aResponse().withStatus(400).withHeader("Content-Type", "application/json").withBody(error(permanentCode())));
    return true;
  }

  @Override
  public boolean rateLimitNext(Duration wait) {
    once(aResponse().withStatus(429).withHeader("Retry-After", String.valueOf(wait.toSeconds()))
        .withHeader("Content-Type", "application/json").withBody(error(4)));
    return true;
  }

  @Override
  public boolean slowNext(Duration delay) {
    once(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(sendAnswer)
        .withFixedDelay((int) delay.toMillis()));
    return true;
  }

  @Override
  public void goDown() {
    graph.stop();
  }

  @Override
  public void comeBack() {
    graph = new WireMockServer(options().port(port).bindAddress("127.0.0.1"));
    graph.start();
    stubs();
  }

  @Override
  public boolean ownThread(Thread t) {
    String n = t.getName();
    return n.startsWith("qtp") || n.contains("WireMock") || n.contains("Scheduler-") || n.contains("jetty");
  }

  @Override
  public void close() {
    graph.stop();
  }
}
