package io.parlor.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.core.delivery.DeliveryScheduler;
import io.parlor.core.groups.GroupTable;
import io.parlor.core.groups.Groups;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.SystemMessages;
import io.parlor.core.store.Store;
import io.parlor.spi.envelope.Timer;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The groups part of the user API (contract part 2, section 5), for a signed-in person: create,
 * list, show, invite, join, leave, remove a member, rename and set the timer. Invitations go out
 * from {@code @parlor} after the commit; membership changes are queued to the members as system
 * messages in the same transaction. Thread-safe; never blocks.
 */
final class GroupsApi {
  private static final Pattern ONE = Pattern.compile("/v1/me/groups/([A-Za-z0-9-]{1,64})");
  private static final Pattern ACTION = Pattern.compile("/v1/me/groups/([A-Za-z0-9-]{1,64})/(invite|join|leave)");
  private static final Pattern BLOCK = Pattern.compile("/v1/me/groups/([A-Za-z0-9-]{1,64})/block");
  private static final Pattern MEMBER = Pattern.compile("/v1/me/groups/([A-Za-z0-9-]{1,64})/members/([^/]{1,80})");
  private static final Duration INVITATION_TTL = Duration.ofDays(1);
  private static final int MAX_INVITEES = 256;

  private final Store store;
  private final Groups groups;
  private final DeliveryScheduler scheduler;
  private final SystemMessages system;
  private final Clock clock;

  GroupsApi(Store store, Groups groups, DeliveryScheduler scheduler, SystemMessages system, Clock clock) {
    this.store = store;
    this.groups = groups;
    this.scheduler = scheduler;
    this.system = system;
    this.clock = clock;
  }

  /** Whether {@code path} is one of this API's. */
  static boolean owns(String path) {
    return path.equals("/v1/me/groups") || path.startsWith("/v1/me/groups/");
  }

  CompletionStage<HttpResponse> handle(HttpRequest req, String personId) {
    String path = req.path();
    String m = req.method();
    if (path.equals("/v1/me/groups")) {
      if (m.equals("POST")) {
        return create(req, personId);
      }
      return m.equals("GET") ? store.read(c -> list(c, personId)) : methodNotAllowed();
    }
    Matcher a = ACTION.matcher(path);
    if (a.matches()) {
      if (!m.equals("POST")) {
        return methodNotAllowed();
      }
      String id = a.group(1);
      switch (a.group(2)) {
        case "invite":
          return invite(req, personId, id);
        case "join":
          return run(c -> groups.join(c, personId, id, clock.instant()), c -> show(c, personId, id));
        default:
          return leave(req, personId, id);
      }
    }
    Matcher b = BLOCK.matcher(path);
    if (b.matches()) {
      if (!m.equals("DELETE")) {
        return methodNotAllowed();
      }
      return run(c -> groups.unblock(c, personId, b.group(1)), c -> noContent());
    }
    Matcher mm = MEMBER.matcher(path);
    if (mm.matches()) {
      if (!m.equals("DELETE")) {
        return methodNotAllowed();
      }
      String member;
      try {
        member = java.net.URLDecoder.decode(mm.group(2), java.nio.charset.StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return done(invalid("member: not a valid percent-encoded @handle or ~relay handle"));
      }
      return run(c -> groups.remove(c, personId, mm.group(1), member, clock.instant()), c -> noContent());
    }
    Matcher one = ONE.matcher(path);
    if (one.matches()) {
      String id = one.group(1);
      if (m.equals("GET")) {
        return store.write(c -> show(c, personId, id)); // may mint the viewer's relay handles of members
      }
      return m.equals("PATCH") ? update(req, personId, id) : methodNotAllowed();
    }
    return done(Json.error(404, "not_found", "no such endpoint"));
  }

  private CompletionStage<HttpResponse> create(HttpRequest req, String personId) {
    Optional<JsonNode> body = body(req);
    if (body.isEmpty()) {
      return done(invalid("body: must be a JSON object"));
    }
    JsonNode n = body.get();
    String name = n.path("name").asText("");
    if (!n.path("name").isTextual() || !Groups.validName(name)) {
      return done(invalid("name: must be 1-64 characters without control characters"));
    }
    Optional<List<String>> invitees = invitees(n);
    if (invitees.isEmpty()) {
      return done(invalid("invite: must be a list of at most " + MAX_INVITEES + " @handles or network:account addresses"));
    }
    Optional<Optional<Long>> timer = timer(n);
    if (timer.isEmpty()) {
      return done(invalid("timerSeconds: must be null or whole seconds from 1 to " + Timer.MAX_SECONDS));
    }
    return run(
        c -> groups.create(c, personId, name, timer.get().orElse(null), invitees.get(), clock.instant()),
        (c, o) -> {
          ObjectNode out = Json.object();
          out.put("id", o.groupId());
          return Json.ok(201, out);
        });
  }

  private CompletionStage<HttpResponse> invite(HttpRequest req, String personId, String id) {
    Optional<JsonNode> body = body(req);
    Optional<List<String>> invitees = body.flatMap(GroupsApi::invitees);
    if (invitees.isEmpty() || !body.get().has("invite")) {
      return done(invalid("invite: must be a list of at most " + MAX_INVITEES + " @handles or network:account addresses"));
    }
    return run(c -> groups.inviteMore(c, personId, id, invitees.get(), clock.instant()), c -> {
      ObjectNode out = Json.object();
      out.put("status", "sent");
      return Json.ok(202, out);
    });
  }

  /** {@code POST .../leave}, with an optional body {@code {"block": true}}. */
  private CompletionStage<HttpResponse> leave(HttpRequest req, String personId, String id) {
    boolean block = false;
    if (req.body().length > 0) {
      Optional<JsonNode> body = body(req);
      if (body.isEmpty() || (body.get().has("block") && !body.get().get("block").isBoolean())) {
        return done(invalid("block: must be true or false (the body is optional)"));
      }
      block = body.get().path("block").asBoolean(false);
    }
    boolean blocking = block;
    return run(c -> groups.leave(c, personId, id, blocking, clock.instant()), c -> noContent());
  }

  private CompletionStage<HttpResponse> update(HttpRequest req, String personId, String id) {
    Optional<JsonNode> body = body(req);
    if (body.isEmpty()) {
      return done(invalid("body: must be a JSON object"));
    }
    JsonNode n = body.get();
    String name = null;
    if (n.has("name")) {
      name = n.path("name").asText("");
      if (!n.path("name").isTextual() || !Groups.validName(name)) {
        return done(invalid("name: must be 1-64 characters without control characters"));
      }
    }
    Optional<Optional<Long>> timer = timer(n);
    if (timer.isEmpty()) {
      return done(invalid("timerSeconds: must be null or whole seconds from 1 to " + Timer.MAX_SECONDS));
    }
    String newName = name;
    Optional<Long> newTimer = n.has("timerSeconds") ? timer.get() : null;
    return run(c -> groups.update(c, personId, id, newName, newTimer, clock.instant()), c -> show(c, personId, id));
  }

  // --- views ---------------------------------------------------------------------------------

  private HttpResponse list(Connection c, String personId) throws SQLException {
    ObjectNode out = Json.object();
    ArrayNode arr = out.putArray("groups");
    for (GroupTable.Membership m : GroupTable.ofPerson(c, personId)) {
      Optional<GroupTable.Group> g = GroupTable.find(c, m.groupId());
      if (g.isEmpty()) {
        continue;
      }
      ObjectNode o = arr.addObject();
      o.put("id", g.get().id());
      // a blocked group is shown as it was when blocked: nothing of what it does later
      o.put("name", m.state() == GroupTable.State.BLOCKED
          ? GroupTable.blockedName(c, m.groupId(), personId).orElse("") : g.get().name());
      o.put("state", m.state().wire());
    }
    return Json.ok(200, out);
  }

  private HttpResponse show(Connection c, String personId, String id) throws SQLException {
    Optional<GroupTable.Group> g = GroupTable.find(c, id);
    Optional<GroupTable.Membership> me = GroupTable.membership(c, id, personId);
    if (g.isEmpty() || me.isEmpty()) {
      return Json.error(404, "not_found", "no such group");
    }
    ObjectNode out = Json.object();
    out.put("id", id);
    if (me.get().state() == GroupTable.State.BLOCKED) {
      out.put("name", GroupTable.blockedName(c, id, personId).orElse(""));
      out.put("state", me.get().state().wire());
      return Json.ok(200, out);
    }
    out.put("name", g.get().name());
    out.put("state", me.get().state().wire());
    if (g.get().timerSeconds() == null) {
      out.putNull("timerSeconds");
    } else {
      out.put("timerSeconds", g.get().timerSeconds());
    }
    if (me.get().state() != GroupTable.State.MEMBER) {
      return Json.ok(200, out); // an invitee sees the name, not who is in it
    }
    java.time.Instant now = clock.instant();
    PartyKey viewer = PartyKey.person(personId);
    out.put("role", me.get().role().wire());
    out.put("address", groups.address(c, id, viewer, now).value());
    // pending invitations are not shown: who accepted an invitation is nobody's business
    // before they join (nor whether an invitee exists)
    ArrayNode members = out.putArray("members");
    for (GroupTable.Membership m : GroupTable.members(c, id)) {
      if (m.state() != GroupTable.State.MEMBER) {
        continue;
      }
      ObjectNode o = members.addObject();
      PartyKey who = PartyKey.person(m.personId());
      o.put("handle", who.equals(viewer) ? "you" : groups.appearance(c, who, viewer, now).value());
      o.put("role", m.role().wire());
    }
    out.put("maxSize", groups.maxSize());
    return Json.ok(200, out);
  }

  // --- helpers -------------------------------------------------------------------------------

  @FunctionalInterface
  private interface Op {
    Groups.Outcome run(Connection c) throws SQLException;
  }

  @FunctionalInterface
  private interface View {
    HttpResponse render(Connection c, Groups.Outcome o) throws SQLException;
  }

  @FunctionalInterface
  private interface SimpleView {
    HttpResponse render(Connection c) throws SQLException;
  }

  private CompletionStage<HttpResponse> run(Op op, SimpleView view) {
    return run(op, (c, o) -> view.render(c));
  }

  /**
   * Runs {@code op} in one transaction and renders its answer there; after the commit, queues the
   * announcement legs and sends the invitations.
   */
  private CompletionStage<HttpResponse> run(Op op, View view) {
    Object[] outcome = new Object[1];
    return store
        .write(c -> {
          Groups.Outcome o = op.run(c);
          outcome[0] = o;
          return o.failed() ? Json.error(o.status(), o.code(), o.message()) : view.render(c, o);
        })
        .thenApply(r -> {
          Groups.Outcome o = (Groups.Outcome) outcome[0];
          o.legs().forEach(scheduler::enqueue);
          for (Groups.Invitation i : o.invitations()) {
            system.send(i.account(), i.text(), INVITATION_TTL, "group-invite");
          }
          return r;
        });
  }

  /** The {@code invite} list; absent means none. */
  private static Optional<List<String>> invitees(JsonNode n) {
    JsonNode inv = n.get("invite");
    if (inv == null || inv.isNull()) {
      return Optional.of(List.of());
    }
    if (!inv.isArray() || inv.size() > MAX_INVITEES) {
      return Optional.empty();
    }
    List<String> out = new ArrayList<>();
    for (JsonNode x : inv) {
      if (!x.isTextual() || x.asText().isEmpty() || x.asText().length() > 256) {
        return Optional.empty();
      }
      out.add(x.asText());
    }
    return Optional.of(out);
  }

  /** {@code timerSeconds}: absent or null is no timer; empty when invalid. */
  private static Optional<Optional<Long>> timer(JsonNode n) {
    JsonNode t = n.get("timerSeconds");
    if (t == null || t.isNull()) {
      return Optional.of(Optional.empty());
    }
    if (!t.isIntegralNumber() || t.asLong() < 1 || t.asLong() > Timer.MAX_SECONDS) {
      return Optional.empty();
    }
    return Optional.of(Optional.of(t.asLong()));
  }

  private static HttpResponse noContent() {
    return new HttpResponse(204, Map.of(), new byte[0]);
  }

  private static Optional<JsonNode> body(HttpRequest req) {
    return UserApi.body(req);
  }

  private static HttpResponse invalid(String message) {
    return UserApi.invalid(message);
  }

  private static CompletionStage<HttpResponse> methodNotAllowed() {
    return UserApi.methodNotAllowed();
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return UserApi.done(r);
  }
}
