package io.parlor.adapter.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.spi.AdapterMetrics;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.TransientDeliveryException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code statusBatch} (contract 3.3): statuses that wait for a status POST go together in the next
 * one, as {@code {"statuses": [...]}}, and share its outcome; a status that does not have to wait
 * is sent at once. WireMock plays the network's status endpoint.
 */
class StatusBatchIT {
  private static final String SECRET = "0123456789abcdef0123";
  private static final ObjectMapper JSON = new ObjectMapper();

  private WireMockServer wm;
  private HttpPoster http;
  private final Counting metrics = new Counting();

  @BeforeEach
  void start() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(20));
    wm.start();
    http = new HttpPoster("test-status", Duration.ofSeconds(5), 8, Duration.ofSeconds(30), Tls.clientContext());
  }

  @AfterEach
  void stop() {
    http.close();
    wm.stop();
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + wm.port() + path);
  }

  private WebhookSender sender() {
    return new WebhookSender(http, new Signatures(SECRET), Clock.systemUTC(), metrics);
  }

  private static ObjectNode status(int i) {
    return JSON.createObjectNode().put("id", "m-" + i).put("status", "delivered").put("at", "2026-12-05T19:00:00Z");
  }

  @Test
  void statusesThatWaitForAPostGoTogetherInTheNextUpToTheBatchSize() throws Exception {
    // each POST is held long enough for all twenty statuses to be reported while the first two are out
    wm.stubFor(post("/status").willReturn(aResponse().withStatus(200).withFixedDelay(400)));
    WebhookSender s = sender();
    List<CompletableFuture<Void>> reported = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      reported.add(s.status(url("/status"), status(i), 8, "m-" + i).toCompletableFuture());
    }
    CompletableFuture.allOf(reported.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);

    List<LoggedRequest> posts = wm.findAll(postRequestedFor(urlEqualTo("/status")));
    List<Integer> sizes = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (LoggedRequest r : posts) {
      assertTrue(new Signatures(SECRET).verify(r.getHeader(Signatures.HEADER), r.getBody(), Instant.now()),
          "every batch is signed over its own body");
      JsonNode body = JSON.readTree(r.getBody());
      assertEquals(List.of("statuses"), iterable(body.fieldNames()), "a batch is an object with one field");
      sizes.add(body.get("statuses").size());
      List<String> these = new ArrayList<>();
      body.get("statuses").forEach(st -> these.add(st.get("id").asText()));
      assertEquals(these.stream().sorted(java.util.Comparator.comparingInt(x -> Integer.parseInt(x.substring(2)))).toList(),
          these, "a batch keeps the order the statuses were reported in");
      ids.addAll(these);
    }
    // two sent at once (two POSTs may be out), the eighteen that waited in batches of at most eight
    assertEquals(List.of(1, 1, 2, 8, 8), sizes.stream().sorted().toList(), "statuses per POST: " + sizes);
    assertEquals(20, ids.size());
    assertEquals(20, ids.stream().distinct().count(), "each status is sent once: " + ids);
    assertEquals(5, metrics.get("status_posts"));
    assertEquals(20, metrics.get("statuses_posted"));
  }

  @Test
  void aStatusThatNeedNotWaitIsSentAtOnceAlone() throws Exception {
    wm.stubFor(post("/status").willReturn(aResponse().withStatus(200)));
    WebhookSender s = sender();
    for (int i = 1; i <= 3; i++) {
      s.status(url("/status"), status(i), 100, "m-" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    List<LoggedRequest> posts = wm.findAll(postRequestedFor(urlEqualTo("/status")));
    assertEquals(3, posts.size(), "nothing waits for others to come");
    for (int i = 0; i < 3; i++) {
      JsonNode only = JSON.readTree(posts.get(i).getBody()).get("statuses");
      assertEquals(1, only.size());
      assertEquals("m-" + (i + 1), only.get(0).get("id").asText());
    }
  }

  @Test
  void everyStatusOfABatchSharesItsFailure() throws Exception {
    wm.stubFor(post("/busy").willReturn(aResponse().withStatus(503).withFixedDelay(300)));
    wm.stubFor(post("/refused").willReturn(aResponse().withStatus(400).withFixedDelay(300)));
    WebhookSender s = sender();
    List<CompletableFuture<Void>> busy = new ArrayList<>();
    List<CompletableFuture<Void>> refused = new ArrayList<>();
    WebhookSender other = sender();
    for (int i = 1; i <= 6; i++) {
      busy.add(s.status(url("/busy"), status(i), 10, "m-" + i).toCompletableFuture());
      refused.add(other.status(url("/refused"), status(100 + i), 10, "m-" + (100 + i)).toCompletableFuture());
    }
    for (CompletableFuture<Void> f : busy) {
      assertInstanceOf(TransientDeliveryException.class, failure(f), "a 503 is retried: every status of the batch");
    }
    for (CompletableFuture<Void> f : refused) {
      assertInstanceOf(PermanentDeliveryException.class, failure(f), "a 400 is not: every status of the batch");
    }
    assertEquals(3, wm.findAll(postRequestedFor(urlEqualTo("/busy"))).size(), "1, 1 and the 4 that waited");
  }

  @Test
  void aNetworkClosedUnderThousandsOfWaitingStatusesFailsThemAllWithoutARecursionPerBatch() throws Exception {
    // two POSTs held while 20,000 statuses wait; the poster then closes (the adapter stopping), and
    // every later batch fails at once, in the thread that sends it
    wm.stubFor(post("/status").willReturn(aResponse().withStatus(200).withFixedDelay(2_000)));
    WebhookSender s = sender();
    List<CompletableFuture<Void>> reported = new ArrayList<>();
    for (int i = 1; i <= 20_000; i++) {
      reported.add(s.status(url("/status"), status(i), 2, "m-" + i).toCompletableFuture());
    }
    http.close(Duration.ofMillis(100)).get(10, TimeUnit.SECONDS);
    for (CompletableFuture<Void> f : reported) {
      Throwable t = failure(f);
      assertTrue(t instanceof TransientDeliveryException, "each fails as a network unreachable: " + t);
    }
    assertEquals(1 + 10_000, metrics.get("status_posts"), "two held, then the 19,998 that waited two by two");
  }

  @Test
  void withoutBatchingEachStatusIsItsOwnObject() throws Exception {
    wm.stubFor(post("/status").willReturn(aResponse().withStatus(200)));
    sender().status(url("/status"), status(7), 1, "m-7").toCompletableFuture().get(10, TimeUnit.SECONDS);
    JsonNode body = JSON.readTree(wm.findAll(postRequestedFor(urlEqualTo("/status"))).get(0).getBody());
    assertEquals("m-7", body.get("id").asText(), "contract 3.3's one status a POST: " + body);
    assertEquals(1, metrics.get("status_posts"));
  }

  private static Throwable failure(CompletableFuture<?> f) throws Exception {
    try {
      f.get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  /** Counts what the sender counts. */
  private static final class Counting implements AdapterMetrics {
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    @Override
    public void count(String event, long n) {
      counts.computeIfAbsent(AdapterMetrics.checked(event), e -> new AtomicLong()).addAndGet(n);
    }

    @Override
    public void time(String operation, Duration took) {}

    @Override
    public void gauge(String stat, Supplier<Number> value) {}

    long get(String event) {
      AtomicLong c = counts.get(event);
      return c == null ? 0 : c.get();
    }
  }
}
