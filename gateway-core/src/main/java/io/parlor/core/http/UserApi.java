package io.parlor.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.core.delivery.DeliveryScheduler;
import io.parlor.core.delivery.StatusDispatcher;
import io.parlor.core.linking.CodeSender;
import io.parlor.core.linking.OneTimeCodes;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.core.linking.SendLimiter;
import io.parlor.core.linking.Sessions;
import io.parlor.core.routing.NetworkRegistry;
import io.parlor.core.store.Store;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Timer;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.io.IOException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The user API (contract section 5): sign in with a one-time code sent to any account, link and
 * unlink further accounts (each proven the same way), preferences, blocks, forget me. Never
 * reveals whether an address is known. Thread-safe; never blocks (store work is queued).
 */
public final class UserApi {
  private static final Pattern HANDLE = Pattern.compile("[a-z0-9_.]{1,32}");
  private static final List<String> RESERVED_HANDLES = List.of("parlor", "admin", "support", "help");

  /** Construction parameters. */
  public record Deps(
      Store store,
      NetworkRegistry networks,
      OneTimeCodes codes,
      Sessions sessions,
      CodeSender codeSender,
      SendLimiter perAccount,
      SendLimiter perClient,
      DeliveryScheduler scheduler,
      StatusDispatcher statuses,
      SecureRandom random,
      Clock clock,
      Forgetter forgetter,
      io.parlor.core.groups.Groups groups,
      io.parlor.core.linking.SystemMessages system,
      io.parlor.core.routing.Router router,
      io.parlor.core.safety.Reporting reporting) {}

  private final Deps d;
  private final Forgetter forgetter;
  private final GroupsApi groups;

  public UserApi(Deps deps) {
    this.d = deps;
    this.forgetter = deps.forgetter();
    this.groups = new GroupsApi(deps.store(), deps.groups(), deps.scheduler(), deps.system(), deps.clock());
  }

  public CompletionStage<HttpResponse> handle(HttpRequest req) {
    String path = req.path();
    String m = req.method();
    if (req.body().length > 0) {
      // UTF-8 JSON with nothing after the value and no unpaired surrogate in any field, or a 400
      // naming the field; the handlers below then read the body as they always did
      try {
        EnvelopeJson.readJson(req.body());
      } catch (io.parlor.spi.envelope.EnvelopeException e) {
        return CompletableFuture.completedFuture(Json.error(400, "invalid_request", e.getMessage()));
      }
    }
    switch (path) {
      case "/v1/auth/start":
        return m.equals("POST") ? start(req) : methodNotAllowed();
      case "/v1/auth/verify":
        return m.equals("POST") ? verifySignIn(req) : methodNotAllowed();
      case "/v1/auth/logout":
        return m.equals("POST") ? withSession(req, (id, token) -> logout(token)) : methodNotAllowed();
      case "/v1/me":
        if (m.equals("GET")) {
          return withSession(req, (id, token) -> me(id));
        }
        return m.equals("DELETE") ? withSession(req, (id, token) -> forgetMe(id)) : methodNotAllowed();
      case "/v1/me/accounts":
        return m.equals("POST") ? withSession(req, (id, token) -> startLink(req, id)) : methodNotAllowed();
      case "/v1/me/accounts/verify":
        return m.equals("POST") ? withSession(req, (id, token) -> verifyLink(req, id)) : methodNotAllowed();
      case "/v1/me/preferences":
        return m.equals("PUT") ? withSession(req, (id, token) -> preferences(req, id)) : methodNotAllowed();
      case "/v1/me/blocks":
        return m.equals("POST") ? withSession(req, (id, token) -> block(req, id, true)) : methodNotAllowed();
      case "/v1/me/reports":
        return m.equals("POST") ? withSession(req, (id, token) -> report(req, id)) : methodNotAllowed();
      default:
        break;
    }
    if (GroupsApi.owns(path)) {
      return withSession(req, (id, token) -> groups.handle(req, id));
    }
    if (path.startsWith("/v1/me/accounts/") && m.equals("DELETE")) {
      String address = path.substring("/v1/me/accounts/".length());
      return withSession(req, (id, token) -> unlink(id, address));
    }
    if (path.startsWith("/v1/me/blocks/") && m.equals("DELETE")) {
      String address = path.substring("/v1/me/blocks/".length());
      return withSession(req, (id, token) -> unblock(id, address));
    }
    return done(Json.error(404, "not_found", "no such endpoint"));
  }

  // --- sign in -------------------------------------------------------------------------------

  private CompletionStage<HttpResponse> start(HttpRequest req) {
    Optional<JsonNode> body = body(req);
    if (body.isEmpty()) {
      return done(badBody());
    }
    Optional<Address> address = account(body.get(), "address");
    if (address.isEmpty()) {
      return done(invalid("address: must be a network:account address"));
    }
    return sendCode(req, address.get(), OneTimeCodes.Purpose.SIGN_IN);
  }

  /** 202 whatever the address; 429 when this account or client asked too often. */
  private CompletionStage<HttpResponse> sendCode(HttpRequest req, Address address, OneTimeCodes.Purpose purpose) {
    String client = req.header(RequestHandler.REMOTE_ADDRESS).orElse("unknown");
    Optional<Duration> wait = d.perAccount().tryAcquire("account:" + address.value());
    if (wait.isEmpty()) {
      wait = d.perClient().tryAcquire("client:" + client);
    }
    if (wait.isPresent()) {
      long secs = Math.max(1, wait.get().toSeconds());
      return done(Json.error(429, "rate_limited", "too many codes requested; try again later",
          Map.of("retry-after", Long.toString(secs))));
    }
    HttpResponse accepted = Json.ok(202, status("sent"));
    if (d.networks().get(address.network().orElseThrow()).isEmpty()) {
      return done(accepted); // same answer as for a known network: reveals nothing
    }
    return d.store()
        .write(c -> d.codes().issue(c, address, purpose, d.clock().instant()))
        .thenApply(
            code -> {
              d.codeSender().send(address, code);
              return accepted;
            });
  }

  private CompletionStage<HttpResponse> verifySignIn(HttpRequest req) {
    Optional<JsonNode> body = body(req);
    if (body.isEmpty()) {
      return done(badBody());
    }
    Optional<Address> address = account(body.get(), "address");
    if (address.isEmpty()) {
      return done(invalid("address: must be a network:account address"));
    }
    String code = body.get().path("code").asText("");
    return d.store()
        .write(
            c -> {
              OneTimeCodes.Check check =
                  d.codes().verify(c, address.get(), OneTimeCodes.Purpose.SIGN_IN, code, d.clock().instant());
              if (check != OneTimeCodes.Check.OK) {
                return codeRefused(check);
              }
              String personId = PeopleTable.personOf(c, address.get()).orElse(null);
              if (personId == null) {
                personId = newPersonId();
                PeopleTable.upsert(c, Person.fresh(personId, List.of(address.get())), d.clock().instant());
              }
              Sessions.Issued s = d.sessions().create(c, personId, d.clock().instant());
              ObjectNode o = Json.object();
              o.put("token", s.token());
              o.put("expiresAt", s.expiresAt().toString());
              return Json.ok(200, o);
            });
  }

  private static HttpResponse codeRefused(OneTimeCodes.Check check) {
    if (check == OneTimeCodes.Check.LOCKED) {
      return Json.error(429, "locked", "too many wrong codes; request a new code later",
          Map.of("retry-after", Long.toString(OneTimeCodes.VALIDITY.toSeconds())));
    }
    return Json.error(401, "bad_code", "the code is wrong or has expired");
  }

  private CompletionStage<HttpResponse> logout(String token) {
    return d.store().write(c -> {
      Sessions.revoke(c, token);
      return new HttpResponse(204, Map.of(), new byte[0]);
    });
  }

  // --- the person ----------------------------------------------------------------------------

  private CompletionStage<HttpResponse> me(String personId) {
    return d.store().read(c -> personJson(c, personId));
  }

  private CompletionStage<HttpResponse> forgetMe(String personId) {
    return forgetter.forget(personId).thenApply(found -> new HttpResponse(204, Map.of(), new byte[0]));
  }

  private CompletionStage<HttpResponse> startLink(HttpRequest req, String personId) {
    Optional<JsonNode> body = body(req);
    if (body.isEmpty()) {
      return done(badBody());
    }
    Optional<Address> address = account(body.get(), "address");
    if (address.isEmpty()) {
      return done(invalid("address: must be a network:account address"));
    }
    if (d.networks().get(address.get().network().orElseThrow()).isEmpty()) {
      return done(invalid("address: no network " + address.get().network().get() + " is configured"));
    }
    return sendCode(req, address.get(), OneTimeCodes.Purpose.link(personId));
  }

  /**
   * Links a proven account. If it belonged to another person, the session (proof of this person)
   * and the code (proof of the account) together move it here; a person left without accounts is
   * forgotten. Linking never merges people on anything less.
   */
  private CompletionStage<HttpResponse> verifyLink(HttpRequest req, String personId) {
    Optional<JsonNode> body = body(req);
    if (body.isEmpty()) {
      return done(badBody());
    }
    Optional<Address> address = account(body.get(), "address");
    if (address.isEmpty()) {
      return done(invalid("address: must be a network:account address"));
    }
    String code = body.get().path("code").asText("");
    String[] emptied = new String[1];
    return d.store()
        .write(
            c -> {
              OneTimeCodes.Check check =
                  d.codes().verify(c, address.get(), OneTimeCodes.Purpose.link(personId), code, d.clock().instant());
              if (check != OneTimeCodes.Check.OK) {
                return codeRefused(check);
              }
              Optional<String> owner = PeopleTable.personOf(c, address.get());
              if (owner.isPresent() && !owner.get().equals(personId)) {
                Person other = PeopleTable.find(c, owner.get()).orElseThrow();
                List<Address> rest = new ArrayList<>(other.accounts());
                rest.remove(address.get());
                PeopleTable.upsert(c, other.withAccounts(rest), d.clock().instant());
                if (rest.isEmpty()) {
                  emptied[0] = other.id();
                }
              }
              Person me = PeopleTable.find(c, personId).orElseThrow();
              if (!me.accounts().contains(address.get())) {
                List<Address> accounts = new ArrayList<>(me.accounts());
                accounts.add(address.get());
                PeopleTable.upsert(c, me.withAccounts(accounts), d.clock().instant());
              }
              return personJson(c, personId);
            })
        .thenCompose(
            r -> emptied[0] == null ? done(r) : forgetter.forget(emptied[0]).thenApply(x -> r));
  }

  private CompletionStage<HttpResponse> unlink(String personId, String raw) {
    if (!Address.isValid(raw)) {
      return done(invalid("address: must be a network:account address"));
    }
    Address address = Address.of(raw);
    return d.store()
        .write(
            c -> {
              Person me = PeopleTable.find(c, personId).orElseThrow();
              if (!me.accounts().contains(address)) {
                return Json.error(404, "not_found", "address: not one of your accounts");
              }
              if (me.accounts().size() == 1) {
                return Json.error(409, "last_account", "address: your only account; use DELETE /v1/me to leave");
              }
              List<Address> accounts = new ArrayList<>(me.accounts());
              accounts.remove(address);
              PeopleTable.upsert(c, me.withAccounts(accounts), d.clock().instant());
              return personJson(c, personId);
            });
  }

  private CompletionStage<HttpResponse> preferences(HttpRequest req, String personId) {
    Optional<JsonNode> body = body(req);
    if (body.isEmpty()) {
      return done(badBody());
    }
    JsonNode n = body.get();
    return d.store().write(c -> {
      Person p = PeopleTable.find(c, personId).orElseThrow();
      Preferences.Result r = Preferences.apply(p, n);
      if (r.error() != null) {
        return invalid(r.error());
      }
      Person updated = r.person();
      if (updated.handle() != null && !updated.handle().equals(p.handle())) {
        Optional<String> holder = PeopleTable.personByHandle(c, updated.handle());
        if (RESERVED_HANDLES.contains(updated.handle()) || (holder.isPresent() && !holder.get().equals(personId))) {
          return Json.error(409, "conflict", "handle: already taken");
        }
      }
      PeopleTable.upsert(c, updated, d.clock().instant());
      return personJson(c, personId);
    });
  }

  private CompletionStage<HttpResponse> block(HttpRequest req, String personId, boolean blocked) {
    Optional<JsonNode> body = body(req);
    if (body.isEmpty()) {
      return done(badBody());
    }
    String a = body.get().path("address").asText("");
    if (!Address.isValid(a)) {
      return done(invalid("address: must be a network:account address, an @handle, or a ~relay handle or pool number"
          + " a message came from"));
    }
    Address address = Address.of(a);
    return d.store().write(c -> {
      // what a message came from: a relay handle shown to this person, or a pool number that
      // stands for someone in front of them — the sender behind it is blocked on every network
      Optional<PartyKey> behind = shownTo(c, PartyKey.person(personId), address);
      if (behind.isPresent() && behind.get().isGroup()) {
        return invalid("address: a group's address; leave and block the group with POST /v1/me/groups/{id}/leave"
            + " and \"block\": true");
      }
      if (address.kind() == Address.Kind.RELAY && behind.isEmpty()) {
        return invalid("address: no message came to you from " + a);
      }
      if (behind.isPresent()) {
        PeopleTable.blockParty(c, personId, behind.get(), a);
      } else {
        PeopleTable.block(c, personId, a, blocked);
      }
      return personJson(c, personId);
    });
  }

  /** The party behind {@code address} as {@code viewer} was shown it (a relay handle, a pool number). */
  private Optional<PartyKey> shownTo(Connection c, PartyKey viewer, Address address) throws SQLException {
    return address.kind() == Address.Kind.RELAY || d.router().poolNumber(address)
        ? d.router().counterpart(c, viewer, address) : Optional.empty();
  }

  /**
   * {@code POST /v1/me/reports}: {@code {"network", "id", "reason"?, "content"?}} names a message
   * the person received, as that network knows it; {@code {"address", "reason"?}} a sender by what
   * a message came from (a relay handle, a pool number). The sender is blocked for the person on
   * every network, counted towards a hold, and — for a named message whose network takes reports
   * — the report is forwarded there, with {@code content} only if the person attached it.
   */
  private CompletionStage<HttpResponse> report(HttpRequest req, String personId) {
    Optional<JsonNode> body = body(req);
    if (body.isEmpty()) {
      return done(badBody());
    }
    JsonNode n = body.get();
    JsonNode reasonNode = n.get("reason");
    String reason = reasonNode == null || reasonNode.isNull() ? "other" : reasonNode.asText("");
    if (reasonNode != null && !reasonNode.isNull() && !reasonNode.isTextual()
        || !io.parlor.spi.envelope.Event.Report.REASONS.contains(reason)) {
      return done(invalid("reason: must be one of " + String.join(", ", io.parlor.spi.envelope.Event.Report.REASONS)));
    }
    JsonNode content = n.get("content");
    String attachment = null;
    if (content != null && !content.isNull()) {
      attachment = content.toString();
      if (!content.isObject() || attachment.length() > io.parlor.spi.envelope.Event.Report.MAX_ATTACHMENT) {
        return done(invalid("content: must be a JSON object (what you choose to reveal of the message) of at most "
            + io.parlor.spi.envelope.Event.Report.MAX_ATTACHMENT + " characters"));
      }
    }
    String attached = attachment;
    PartyKey me = PartyKey.person(personId);
    io.parlor.spi.envelope.Event.Report.Opening opening;
    try {
      opening = io.parlor.spi.json.EventJson.opening(n.get("franking"));
    } catch (io.parlor.spi.envelope.EnvelopeException ex) {
      return done(invalid(ex.getMessage()));
    }
    if (n.has("address")) {
      String a = n.path("address").asText("");
      if (!Address.isValid(a) || Address.of(a).kind() != Address.Kind.RELAY && !d.router().poolNumber(Address.of(a))) {
        return done(invalid("address: must be a ~relay handle or pool number a message came from"));
      }
      if (attached != null || opening != null) {
        return done(invalid((attached != null ? "content" : "franking")
            + ": only with a message (network and id), not with an address"));
      }
      return fileReport(personId, c -> {
        Optional<PartyKey> behind = shownTo(c, me, Address.of(a));
        if (behind.isEmpty() || behind.get().isGroup()) {
          return Optional.empty();
        }
        return Optional.of(new Reported(behind.get(), null));
      }, "address: no message came to you from " + a, reason, null, null);
    }
    String network = n.path("network").asText("");
    if (network.isEmpty() || !n.path("network").isTextual()) {
      return done(invalid("network: required: the network the message came to you on (or give address)"));
    }
    if (!io.parlor.spi.envelope.NetworkId.isValid(network)
        || d.networks().get(io.parlor.spi.envelope.NetworkId.of(network)).isEmpty()) {
      return done(invalid("network: no network " + network + " is configured"));
    }
    String id = n.path("id").asText("");
    if (id.isEmpty() || !n.path("id").isTextual() || id.length() > 256) {
      return done(invalid("id: required: the message's id as " + network + " knows it"));
    }
    return fileReport(personId, c -> {
      Optional<io.parlor.core.routing.ReferenceTable.Leg> leg =
          io.parlor.core.routing.ReferenceTable.received(c, io.parlor.spi.envelope.NetworkId.of(network), id, me);
      if (leg.isEmpty() || leg.get().represents().isGroup() || leg.get().represents().equals(me)) {
        return Optional.empty();
      }
      return Optional.of(new Reported(leg.get().represents(), leg.get()));
    }, "id: names no message someone sent you on " + network + " (or it is past the retention window)", reason, attached,
        opening);
  }

  private record Reported(PartyKey sender, io.parlor.core.routing.ReferenceTable.Leg leg) {}

  @FunctionalInterface
  private interface FindReported {
    Optional<Reported> find(Connection c) throws SQLException;
  }

  private record ReportOutcome(HttpResponse response, io.parlor.core.safety.Reporting.Filing filing) {}

  private CompletionStage<HttpResponse> fileReport(String personId, FindReported find, String notFound, String reason,
      String attachment, io.parlor.spi.envelope.Event.Report.Opening opening) {
    return d.store().write(c -> {
      Optional<Reported> r = find.find(c);
      if (r.isEmpty()) {
        return new ReportOutcome(invalid(notFound), null);
      }
      byte[] verified = null;
      if (opening != null) {
        if (!io.parlor.core.safety.Franking.verify(c, opening, r.get().sender(), PartyKey.person(personId),
            r.get().leg().gid())) {
          // a forged report: nothing is filed, nobody blocked
          return new ReportOutcome(Json.error(422, io.parlor.core.safety.Franking.INVALID,
              io.parlor.core.safety.Franking.WHY), null);
        }
        verified = opening.plaintext();
      }
      io.parlor.core.safety.Reporting.Filing filing = d.reporting().file(c, PartyKey.person(personId),
          r.get().sender(), r.get().leg(), reason, attachment, verified, true, d.clock().instant());
      return new ReportOutcome(personJson(c, personId), filing);
    }).thenApply(o -> {
      if (o.filing() != null) {
        d.reporting().after(o.filing());
      }
      return o.response();
    });
  }

  private CompletionStage<HttpResponse> unblock(String personId, String address) {
    return d.store().write(c -> {
      PeopleTable.unblock(c, personId, address);
      return personJson(c, personId);
    });
  }

  // --- helpers -------------------------------------------------------------------------------

  @FunctionalInterface
  private interface Authed {
    CompletionStage<HttpResponse> run(String personId, String token);
  }

  private CompletionStage<HttpResponse> withSession(HttpRequest req, Authed action) {
    String h = req.header("authorization").orElse("");
    String token = h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : "";
    return d.store()
        .read(c -> Sessions.personOf(c, token, d.clock().instant()))
        .thenCompose(
            id -> id.isEmpty()
                ? done(Json.error(401, "unauthorized", "missing, expired or revoked session token",
                    Map.of("www-authenticate", "Bearer")))
                : action.run(id.get(), token));
  }

  static HttpResponse personJson(Connection c, String personId) throws SQLException {
    Optional<Person> p = PeopleTable.find(c, personId);
    if (p.isEmpty()) {
      return Json.error(401, "unauthorized", "no such person");
    }
    ObjectNode o = AdminApi.toJson(p.get());
    if (p.get().defaultTimerSeconds() == null) {
      o.putNull("defaultTimerSeconds");
    }
    if (!o.has("handle")) {
      o.putNull("handle");
    }
    if (!o.has("displayName")) {
      o.putNull("displayName");
    }
    ArrayNode blocks = o.putArray("blocks");
    PeopleTable.shownBlocks(c, personId).forEach(blocks::add);
    return Json.ok(200, o);
  }

  /** The request's body as a JSON object; empty when it is not one. */
  static Optional<JsonNode> body(HttpRequest req) {
    try {
      JsonNode n = EnvelopeJson.mapper().readTree(req.body());
      return n != null && n.isObject() ? Optional.of(n) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<Address> account(JsonNode n, String field) {
    String v = n.path(field).asText("");
    if (!Address.isValid(v) || Address.of(v).kind() != Address.Kind.ACCOUNT) {
      return Optional.empty();
    }
    return Optional.of(Address.of(v));
  }

  private String newPersonId() {
    byte[] b = new byte[12];
    d.random().nextBytes(b);
    return "u-" + HexFormat.of().formatHex(b);
  }

  private static ObjectNode status(String s) {
    ObjectNode n = Json.object();
    n.put("status", s);
    return n;
  }

  static HttpResponse invalid(String message) {
    return Json.error(400, "invalid_request", message);
  }

  private static HttpResponse badBody() {
    return invalid("body: must be a JSON object");
  }

  static CompletionStage<HttpResponse> methodNotAllowed() {
    return done(Json.error(405, "method_not_allowed", "method not allowed here"));
  }

  static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }

  /** The largest custom timer accepted. */
  static final long MAX_TIMER = Timer.MAX_SECONDS;

  static boolean validHandle(String h) {
    return HANDLE.matcher(h).matches();
  }
}
