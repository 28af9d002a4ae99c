package io.parlor.adapter.webhook;

import io.parlor.core.http.HttpDispatcher;
import io.parlor.core.http.HttpServerSettings;
import io.parlor.core.http.NettyHttpServer;
import io.parlor.spi.http.HttpResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The floor under a node's CPU per message (issue 17): the node's own HTTP server and webhook
 * client, with nothing between them. Each signed POST is checked as the webhook network checks it,
 * POSTed signed to {@code {upstream}/messages}, answered 202 once that is answered (as a proxy:
 * there is no queue to answer before), and then a status POSTed signed to {@code
 * {upstream}/status}: the three HTTP exchanges of a message through a node, with no parsing, no
 * store, no routing and no policy. {@code GET /pending} answers how many are still under way (then
 * delivered, then failed), for the benchmark to wait for the last before it reads the CPU.
 *
 * <p>Lives in the webhook adapter's package for its client ({@link HttpPoster}, package-private);
 * only {@code bench/} builds it. Run: {@code java -cp parlor-bench.jar
 * io.parlor.adapter.webhook.HttpFloor PORT UPSTREAM_URL SECRET [nostatus]}; {@code nostatus}
 * leaves the status out (two exchanges, as nginx's proxy makes).
 */
public final class HttpFloor {
  private HttpFloor() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    URI upstream = URI.create(args[1]);
    Signatures signatures = new Signatures(args[2]);
    // "nostatus": two exchanges (in, delivery), as nginx's proxy makes
    boolean statusCallback = args.length < 4 || !args[3].equals("nostatus");
    URI deliveryUrl = upstream.resolve("/messages");
    URI statusUrl = upstream.resolve("/status");
    // as the node's two webhook networks: a client each, its defaults (WebhookAdapterProvider)
    HttpPoster deliveries =
        new HttpPoster("floor-dst", Duration.ofSeconds(10), 32, WebhookAdapter.IDLE_CONNECTION_TIMEOUT, Tls.clientContext());
    HttpPoster statuses =
        new HttpPoster("floor-src", Duration.ofSeconds(10), 32, WebhookAdapter.IDLE_CONNECTION_TIMEOUT, Tls.clientContext());
    AtomicLong ids = new AtomicLong();
    AtomicLong pending = new AtomicLong();
    AtomicLong delivered = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    HttpDispatcher dispatcher = request -> {
      if (request.method().equals("GET") && request.path().equals("/pending")) {
        return CompletableFuture.completedFuture(
            HttpResponse.text(200, pending.get() + " " + delivered.get() + " " + failed.get()));
      }
      byte[] body = request.body();
      Instant now = Instant.now();
      if (!signatures.verify(request.header(Signatures.HEADER).orElse(""), body, now)) {
        return CompletableFuture.completedFuture(HttpResponse.json(401, "{\"error\":\"signature\"}"));
      }
      String id = "f" + ids.incrementAndGet();
      pending.incrementAndGet();
      CompletableFuture<HttpPoster.Answer> delivery = deliveries.post(deliveryUrl, body, "content-type",
          "application/json", Signatures.HEADER, signatures.sign(body, now), "Idempotency-Key", id);
      delivery.thenCompose(answer -> {
            if (!statusCallback) {
              return CompletableFuture.completedFuture(answer);
            }
            byte[] status = ("{\"id\":\"" + id + "\",\"status\":\"delivered\",\"at\":\"" + Instant.now() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
            return statuses.post(statusUrl, status, "content-type", "application/json", Signatures.HEADER,
                signatures.sign(status, Instant.now()));
          })
          .whenComplete((answer, error) -> {
            (error == null && answer.status() / 100 == 2 ? delivered : failed).incrementAndGet();
            pending.decrementAndGet();
          });
      // answered once the delivery is: as a proxy, so that the load cannot outrun the deliveries
      // (a node answers before it delivers, its queue on disk; here there is none)
      return delivery.handle((answer, error) -> error == null && answer.status() / 100 == 2
          ? HttpResponse.json(202, "{\"id\":\"" + id + "\"}")
          : HttpResponse.json(503, "{\"error\":\"delivery\"}"));
    };
    NettyHttpServer server = new NettyHttpServer(
        new HttpServerSettings("127.0.0.1", port, 1 << 20, Duration.ofSeconds(30), Duration.ofSeconds(300)), dispatcher);
    server.start();
    System.out.println("floor listening on " + port);
    Thread.currentThread().join();
  }
}
