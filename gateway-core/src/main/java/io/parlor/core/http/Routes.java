package io.parlor.core.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.parlor.core.metrics.MetricNames;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.http.HttpRoute;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

/**
 * The node's URL space: operational endpoints, the admin API, and the adapters' endpoints.
 * Immutable after construction; thread-safe.
 */
public final class Routes implements HttpDispatcher {
  private static final String NETWORKS = "/v1/networks/";

  private final Map<String, Map<String, HttpRoute.Handler>> byPath = new HashMap<>();
  private final Set<NetworkId> networks;
  private final AdminApi admin;
  private final UserApi users;
  private final WebAssets web;
  private final PrometheusMeterRegistry prometheus;
  private final BooleanSupplier ready;
  private final MeterRegistry meters;
  private final io.parlor.core.keys.KeysApi keys; // key directory (keys wiring)

  /** Construction parameters. */
  public record Deps(
      Set<NetworkId> networks,
      List<HttpRoute> adapterRoutes,
      AdminApi admin,
      UserApi users,
      WebAssets web,
      PrometheusMeterRegistry prometheus,
      BooleanSupplier ready) {}

  /** {@code GET /v1/networks}: the node's networks as the page offers them (no secret, no person). */
  private volatile byte[] networkList = "{\"networks\":[]}".getBytes(StandardCharsets.UTF_8);

  /** Sets what {@code GET /v1/networks} answers. */
  public Routes networkList(byte[] json) {
    this.networkList = json.clone();
    return this;
  }

  public Routes(Deps d) {
    this(d, null);
  }

  /** With the public-key directory ({@code keys} may be null: no directory). */
  public Routes(Deps d, io.parlor.core.keys.KeysApi keys) {
    this(d.networks(), d.adapterRoutes(), d.admin(), d.users(), d.web(), d.prometheus(), d.ready(), keys);
  }

  private Routes(
      Set<NetworkId> networks,
      List<HttpRoute> adapterRoutes,
      AdminApi admin,
      UserApi users,
      WebAssets web,
      PrometheusMeterRegistry prometheus,
      BooleanSupplier ready,
      io.parlor.core.keys.KeysApi keys) {
    this.keys = keys;
    this.networks = Set.copyOf(networks);
    this.admin = admin;
    this.users = users;
    this.web = web;
    this.prometheus = prometheus;
    this.ready = ready;
    this.meters = prometheus;
    for (HttpRoute r : adapterRoutes) {
      byPath.computeIfAbsent(r.path(), k -> new HashMap<>()).put(r.method(), r.handler());
    }
  }

  @Override
  public CompletionStage<HttpResponse> dispatch(HttpRequest req) {
    String route = routeName(req.path());
    return answer(req).thenApply(
        r -> {
          Counter.builder(MetricNames.HTTP_REQUESTS)
              .tag(MetricNames.TAG_ROUTE, route)
              .tag(MetricNames.TAG_STATUS, Integer.toString(r.status()))
              .register(meters)
              .increment();
          return r;
        });
  }

  private CompletionStage<HttpResponse> answer(HttpRequest req) {
    String path = req.path();
    switch (path) {
      case "/healthz":
        return get(req, () -> Json.ok(200, status("ok")));
      case "/readyz":
        return get(req, () -> ready.getAsBoolean() ? Json.ok(200, status("ready")) : Json.ok(503, status("not_ready")));
      case "/metrics":
        return get(
            req,
            () -> new HttpResponse(
                200,
                Map.of("content-type", "text/plain; version=0.0.4; charset=utf-8"),
                prometheus.scrape().getBytes(StandardCharsets.UTF_8)));
      case "/v1/networks":
        return get(req, () -> new HttpResponse(200, Map.of("content-type", "application/json"), networkList.clone()));
      default:
        break;
    }
    if (path.startsWith(AdminApi.PREFIX)) {
      return admin.handle(req);
    }
    if (path.startsWith("/v1/auth/") || path.equals("/v1/me") || path.startsWith("/v1/me/")) {
      return users.handle(req);
    }
    if (web.serves(path)) {
      return web.handle(req);
    }
    if (keys != null && io.parlor.core.keys.KeysApi.handles(path)) {
      return keys.handle(req);
    }
    Map<String, HttpRoute.Handler> handlers = byPath.get(path);
    if (handlers != null) {
      HttpRoute.Handler h = handlers.get(req.method());
      return h == null ? done(Json.error(405, "method_not_allowed", "method not allowed here")) : h.handle(req);
    }
    if (path.startsWith(NETWORKS)) {
      String rest = path.substring(NETWORKS.length());
      String id = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
      if (!NetworkId.isValid(id) || !networks.contains(NetworkId.of(id))) {
        return done(Json.error(404, "unknown_network", "no such network is configured"));
      }
    }
    if (path.startsWith("/webhooks/")) {
      return done(Json.error(404, "unknown_network", "no such network is configured"));
    }
    return done(Json.error(404, "not_found", "no such endpoint"));
  }

  private static String routeName(String path) {
    if (io.parlor.core.keys.KeysApi.handles(path)) {
      return "keys";
    }
    if (path.startsWith(NETWORKS)) {
      return "network_messages";
    }
    if (path.startsWith("/webhooks/")) {
      return "webhooks";
    }
    if (path.startsWith(AdminApi.PREFIX)) {
      return "admin";
    }
    if (path.startsWith("/v1/auth/")) {
      return "auth";
    }
    if (path.startsWith("/v1/me")) {
      return "me";
    }
    switch (path) {
      case "/healthz":
      case "/readyz":
      case "/metrics":
        return path.substring(1);
      default:
        return "other";
    }
  }

  private static CompletionStage<HttpResponse> get(HttpRequest req, java.util.function.Supplier<HttpResponse> r) {
    if (!req.method().equals("GET") && !req.method().equals("HEAD")) {
      return done(Json.error(405, "method_not_allowed", "use GET"));
    }
    return done(r.get());
  }

  private static ObjectNode status(String s) {
    ObjectNode n = Json.object();
    n.put("status", s);
    return n;
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }
}
