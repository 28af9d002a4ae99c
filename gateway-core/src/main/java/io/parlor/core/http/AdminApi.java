package io.parlor.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.delivery.DeliveryScheduler;
import io.parlor.core.delivery.StatusDispatcher;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.core.linking.ReachableBy;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.Network;
import io.parlor.core.routing.NetworkRegistry;
import io.parlor.core.store.Store;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The admin API (contract section 4) under {@code /admin/v1}, behind a bearer token compared in
 * constant time. Thread-safe; never blocks (store work is queued).
 */
public final class AdminApi {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AdminApi.class);
  public static final String PREFIX = "/admin/v1/";
  private static final Pattern PERSON_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern HANDLE = Pattern.compile("[a-z0-9_.]{1,32}");

  /** Construction parameters. */
  public record Deps(
      String nodeId,
      Optional<String> token,
      Store store,
      NetworkRegistry networks,
      DeliveryScheduler scheduler,
      StatusDispatcher statuses,
      Clock clock,
      MeterRegistry meters,
      Forgetter forgetter,
      io.parlor.core.safety.Reporting reporting,
      io.parlor.core.safety.Limits limits) {}

  private final Deps d;
  private final byte[] tokenHash;
  private final Forgetter forgetter;

  public AdminApi(Deps deps) {
    this.d = deps;
    this.forgetter = deps.forgetter();
    this.tokenHash = deps.token().map(AdminApi::sha256).orElse(null);
  }

  public CompletionStage<HttpResponse> handle(HttpRequest req) {
    if (!authorized(req)) {
      return done(
          Json.error(401, "unauthorized", "missing or wrong bearer token", java.util.Map.of("www-authenticate", "Bearer")));
    }
    String rest = req.path().substring(PREFIX.length());
    if (rest.equals("status")) {
      return req.method().equals("GET") ? status() : methodNotAllowed();
    }
    if (rest.equals("holds") || rest.startsWith("holds/")) {
      return holds(req, rest);
    }
    if (rest.startsWith("people/")) {
      String id = rest.substring("people/".length());
      if (!PERSON_ID.matcher(id).matches()) {
        return done(Json.error(400, "invalid_request", "personId: must match [A-Za-z0-9._-]{1,64}"));
      }
      switch (req.method()) {
        case "PUT":
          return putPerson(id, req.body());
        case "GET":
          return d.store()
              .read(c -> PeopleTable.find(c, id))
              .thenApply(p -> p.map(person -> Json.ok(200, toJson(person))).orElseGet(AdminApi::notFound));
        case "DELETE":
          return forget(id);
        default:
          return methodNotAllowed();
      }
    }
    return done(Json.error(404, "not_found", "no such admin endpoint"));
  }

  // --- holds (issue 14): pseudonymous review ------------------------------------------------

  private static final java.util.regex.Pattern HOLD_ACTION =
      java.util.regex.Pattern.compile("holds/(h-[0-9a-f]{20})/(release|confirm)");

  /**
   * {@code GET /admin/v1/holds}: every hold, by its random id, with counts only; {@code POST
   * /admin/v1/holds/{id}/release} (the sender is accepted again; only later reports count) and
   * {@code .../confirm} (held until released). Each decision is logged with its reason, never a
   * person.
   */
  private CompletionStage<HttpResponse> holds(HttpRequest req, String rest) {
    if (rest.equals("holds")) {
      if (!req.method().equals("GET")) {
        return methodNotAllowed();
      }
      return d.store().read(io.parlor.core.safety.Reports::list).thenApply(list -> {
        ObjectNode n = Json.object();
        n.put("holdAfterReports", d.reporting().reports().holdAfter());
        ArrayNode a = n.putArray("holds");
        list.forEach(h -> a.add(holdJson(h)));
        return Json.ok(200, n);
      });
    }
    java.util.regex.Matcher m = HOLD_ACTION.matcher(rest);
    if (!m.matches()) {
      return done(Json.error(404, "not_found",
          "no such hold endpoint: GET /admin/v1/holds, POST /admin/v1/holds/{id}/release or /confirm"));
    }
    if (!req.method().equals("POST")) {
      return methodNotAllowed();
    }
    String id = m.group(1);
    String state = m.group(2).equals("release") ? io.parlor.core.safety.Reports.RELEASED
        : io.parlor.core.safety.Reports.CONFIRMED;
    return d.store()
        .write(c -> io.parlor.core.safety.Reports.decide(c, id, state, d.clock().instant()))
        .thenApply(h -> {
          if (h.isEmpty()) {
            return Json.error(404, "not_found", "id: no such hold");
          }
          d.reporting().decided(state);
          log.info("hold {} {} by the operator (held for {}, count {})", id, state, h.get().reason(), h.get().count());
          return Json.ok(200, holdJson(h.get()));
        });
  }

  private static ObjectNode holdJson(io.parlor.core.safety.Reports.Hold h) {
    ObjectNode o = Json.object();
    o.put("id", h.id());
    o.put("state", h.state());
    o.put("reason", h.reason());
    o.put("count", h.count());
    o.put("since", h.since().toString());
    if (h.decidedAt() == null) {
      o.putNull("decidedAt");
    } else {
      o.put("decidedAt", h.decidedAt().toString());
    }
    return o;
  }

  private boolean authorized(HttpRequest req) {
    if (tokenHash == null) {
      return true; // no token: only allowed when bound to loopback (checked by the config)
    }
    String h = req.header("authorization").orElse("");
    String given = h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : "";
    return MessageDigest.isEqual(sha256(given), tokenHash);
  }

  private CompletionStage<HttpResponse> putPerson(String id, byte[] body) {
    JsonNode n;
    try {
      n = EnvelopeJson.readJson(body);
    } catch (io.parlor.spi.envelope.EnvelopeException e) {
      return done(Json.error(400, "invalid_request", e.getMessage()));
    }
    if (n == null || !n.isObject()) {
      return done(Json.error(400, "invalid_request", "body: must be a JSON object"));
    }
    JsonNode accountsNode = n.get("accounts");
    if (accountsNode == null || !accountsNode.isArray() || accountsNode.isEmpty()) {
      return done(Json.error(400, "invalid_request", "accounts: must be a non-empty array of network:account addresses"));
    }
    Set<Address> accounts = new LinkedHashSet<>();
    for (int i = 0; i < accountsNode.size(); i++) {
      JsonNode a = accountsNode.get(i);
      String field = "accounts[" + i + "]";
      if (!a.isTextual() || !Address.isValid(a.textValue()) || Address.of(a.textValue()).kind() != Address.Kind.ACCOUNT) {
        return done(Json.error(400, "invalid_request", field + ": must be a network:account address"));
      }
      Address addr = Address.of(a.textValue());
      if (d.networks().get(addr.network().orElseThrow()).isEmpty()) {
        return done(Json.error(400, "invalid_request", field + ": no network " + addr.network().get() + " is configured"));
      }
      accounts.add(addr);
    }
    List<Address> ordered = new ArrayList<>(accounts);
    JsonNode preferred = n.get("preferred");
    if (preferred != null && !preferred.isNull()) {
      if (!preferred.isTextual() || !Address.isValid(preferred.textValue())
          || !ordered.remove(Address.of(preferred.textValue()))) {
        return done(Json.error(400, "invalid_request", "preferred: must be one of accounts"));
      }
      ordered.add(0, Address.of(preferred.textValue()));
    }
    JsonNode optIn = n.get("optIn");
    if (optIn != null && !optIn.isBoolean()) {
      return done(Json.error(400, "invalid_request", "optIn: must be true or false"));
    }
    JsonNode by = n.get("reachableBy");
    Optional<ReachableBy> reachable = by == null ? Optional.of(ReachableBy.EVERYONE)
        : by.isTextual() ? ReachableBy.parse(by.textValue()) : Optional.empty();
    if (reachable.isEmpty()) {
      return done(Json.error(400, "invalid_request", "reachableBy: must be everyone, contacted or nobody"));
    }
    JsonNode handleNode = n.get("handle");
    String handle = null;
    if (handleNode != null && !handleNode.isNull()) {
      String h = handleNode.isTextual() ? handleNode.textValue() : "";
      h = h.startsWith("@") ? h.substring(1) : h;
      if (!HANDLE.matcher(h).matches()) {
        return done(Json.error(400, "invalid_request", "handle: must match [a-z0-9_.]{1,32}"));
      }
      handle = h;
    }
    JsonNode plain = n.get("allowPlaintextFallback");
    if (plain != null && !plain.isBoolean()) {
      return done(Json.error(400, "invalid_request", "allowPlaintextFallback: must be true or false"));
    }
    JsonNode timer = n.get("defaultTimerSeconds");
    if (timer != null && !timer.isNull()
        && (!timer.isIntegralNumber() || timer.asLong() < 1 || timer.asLong() > UserApi.MAX_TIMER)) {
      return done(Json.error(400, "invalid_request", "defaultTimerSeconds: must be null or 1 to " + UserApi.MAX_TIMER));
    }
    Person p =
        new Person(id, ordered, optIn != null && optIn.booleanValue(), reachable.get(), handle,
            plain != null && plain.booleanValue(), timer == null || timer.isNull() ? null : timer.asLong());
    return d.store()
        .write(
            c -> {
              for (int i = 0; i < p.accounts().size(); i++) {
                Optional<String> owner = PeopleTable.personOf(c, p.accounts().get(i));
                if (owner.isPresent() && !owner.get().equals(id)) {
                  return Json.error(409, "conflict", "accounts: " + "an account is already linked to another person");
                }
              }
              if (p.handle() != null) {
                Optional<String> holder = PeopleTable.personByHandle(c, p.handle());
                if (holder.isPresent() && !holder.get().equals(id)) {
                  return Json.error(409, "conflict", "handle: already taken");
                }
              }
              Optional<Person> existing = PeopleTable.find(c, id);
              // fields the operator did not send keep the person's own choices
              Person merged =
                  existing.isEmpty()
                      ? p
                      : new Person(id, p.accounts(), p.optIn(), p.reachableBy(), p.handle(),
                          plain != null ? p.allowPlaintextFallback() : existing.get().allowPlaintextFallback(),
                          timer != null ? p.defaultTimerSeconds() : existing.get().defaultTimerSeconds(),
                          existing.get().conversation());
              PeopleTable.upsert(c, merged, d.clock().instant());
              return Json.ok(200, toJson(PeopleTable.find(c, id).orElseThrow()));
            });
  }

  private CompletionStage<HttpResponse> forget(String id) {
    return forgetter
        .forget(id)
        .thenApply(found -> found ? new HttpResponse(204, java.util.Map.of(), new byte[0]) : notFound());
  }

  /** A node not seen for this long is not listed among the cluster's nodes. */
  private static final java.time.Duration LISTED_FOR = java.time.Duration.ofMinutes(1);

  /**
   * The node's status; several nodes on one database: with the cluster's nodes (seen in the last
   * minute), each with its live leases.
   */
  private CompletionStage<HttpResponse> status() {
    if (d.store().clusterNode().isEmpty()) {
      return done(Json.ok(200, nodeStatus()));
    }
    java.time.Instant now = d.clock().instant();
    return d.store()
        .read(c -> io.parlor.core.delivery.Leases.nodes(c, now.minus(LISTED_FOR), now))
        .handle((nodes, err) -> {
          ObjectNode root = nodeStatus();
          if (err != null) {
            root.putNull("cluster"); // the database is away: the rest is this node's own
          } else {
            ArrayNode cluster = root.putArray("cluster");
            for (io.parlor.core.delivery.Leases.NodeInfo n : nodes) {
              ObjectNode o = cluster.addObject();
              o.put("node", n.name());
              o.put("started", n.started().toString());
              o.put("seen", n.seen().toString());
              o.put("leases", n.leases());
            }
          }
          return Json.ok(200, root);
        });
  }

  private ObjectNode nodeStatus() {
    ObjectNode root = Json.object();
    root.put("node", d.nodeId());
    root.put("queueDepth", d.scheduler().depth());
    root.put("storeWritable", d.store().writable());
    root.put("store", d.store().dialect().toString()); // sqlite or postgres
    ArrayNode nets = root.putArray("networks");
    for (Network n : d.networks().all()) {
      ObjectNode o = nets.addObject();
      o.put("id", n.id().value());
      o.put("type", n.type());
      o.put("region", n.region());
      o.put("trust", d.limits().trust(n.id()).wire());
      // its senders drew many reports: every limit of theirs is tighter until the reports age out
      o.put("throttled", d.limits().throttled(n.id()));
      var h = n.adapter().health();
      o.put("state", h.state().name());
      o.put("reason", h.reason());
      o.put("since", h.since().toString());
      o.put("circuitBreaker", n.breaker().getState().name());
      o.put("delivered", (long) sum(n, "delivered"));
      o.put("failed", (long) sum(n, "failed"));
      // failing deliveries are visible: what waits to retry there, since when it fails and how
      ObjectNode dl = o.putObject("deliveries");
      dl.put("retrying", d.scheduler().health().retrying(n.id().value()));
      var f = d.scheduler().health().failing(n.id().value());
      if (f.isPresent()) {
        dl.put("failingSince", f.get().since().toString());
        dl.put("lastError", f.get().lastError());
      } else {
        dl.putNull("failingSince");
        dl.putNull("lastError");
      }
    }
    return root;
  }

  private double sum(Network n, String outcome) {
    return d.meters().find(MetricNames.DELIVERIES)
        .tag(MetricNames.TAG_NETWORK, n.id().value())
        .tag(MetricNames.TAG_OUTCOME, outcome)
        .counters().stream().mapToDouble(Counter::count).sum();
  }

  static ObjectNode toJson(Person p) {
    ObjectNode o = Json.object();
    o.put("id", p.id());
    ArrayNode a = o.putArray("accounts");
    p.accounts().forEach(x -> a.add(x.value()));
    if (!p.accounts().isEmpty()) {
      o.put("preferred", p.accounts().get(0).value());
    }
    o.put("optIn", p.optIn());
    o.put("reachableBy", p.reachableBy().wire());
    o.put("allowPlaintextFallback", p.allowPlaintextFallback());
    if (p.defaultTimerSeconds() != null) {
      o.put("defaultTimerSeconds", p.defaultTimerSeconds());
    }
    if (p.handle() != null) {
      o.put("handle", "@" + p.handle());
    }
    o.put("sendReadReceipts", p.conversation().sendReadReceipts());
    o.put("reactionFallback", p.conversation().reactionFallback());
    o.put("showAs", p.conversation().showAs().wire());
    if (p.conversation().displayName() != null) {
      o.put("displayName", p.conversation().displayName());
    }
    return o;
  }

  private static HttpResponse notFound() {
    return Json.error(404, "not_found", "no such person");
  }

  private static CompletionStage<HttpResponse> methodNotAllowed() {
    return done(Json.error(405, "method_not_allowed", "method not allowed here"));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
