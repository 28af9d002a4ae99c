package io.parlor.core.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.core.groups.GroupFanOut;
import io.parlor.core.groups.GroupTable;
import io.parlor.core.groups.Groups;
import io.parlor.core.http.Json;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.core.linking.ReachableBy;
import io.parlor.core.routing.Network;
import io.parlor.core.routing.RelayTable;
import io.parlor.spi.RequestVerifier;
import io.parlor.core.store.Store;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public-key directory's HTTP API. Every request is signed by a configured network with its
 * {@code Parlor-Signature} (contract section 3; for GET the signed body is empty):
 *
 * <ul>
 *   <li>{@code PUT /v1/networks/{id}/keys} — the network publishes one of its users' public keys;
 *   <li>{@code GET /v1/networks/{id}/keys?for=<address>&scheme=<scheme>} — the current key of a
 *       recipient who opted in, at their preferred account whose network speaks the scheme,
 *       without revealing that account;
 *   <li>{@code GET /v1/keys/log?from=<seq>&limit=<n>} — log entries with their hashes.
 * </ul>
 *
 * <p>The log is also a Merkle tree ({@link MerkleTree}): every key answer carries the key's leaf,
 * its inclusion proof and the signed tree head it proves against. Public, unsigned, so that anyone
 * can audit the log ({@code ./parlor audit-keys}):
 *
 * <ul>
 *   <li>{@code GET /v1/keys/tree-head} — the current signed tree head;
 *   <li>{@code GET /v1/keys/consistency?first=<m>&second=<n>} — the proof that the tree of
 *       {@code n} entries extends that of {@code m};
 *   <li>{@code GET /v1/keys/signing-key} — the Ed25519 public key the heads are signed with.
 * </ul>
 *
 * <p>Thread-safe; never blocks (SQL runs on the store's threads). Logs no keys, addresses or
 * bodies.
 */
public final class KeysApi {
  public static final String LOG_PATH = "/v1/keys/log";
  public static final String TREE_HEAD_PATH = "/v1/keys/tree-head";
  public static final String CONSISTENCY_PATH = "/v1/keys/consistency";
  public static final String SIGNING_KEY_PATH = "/v1/keys/signing-key";
  private static final String KEYS_PREFIX = "/v1/keys";
  private static final Pattern NETWORK_KEYS = Pattern.compile("/v1/networks/([^/]+)/keys");
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;
  private static final Logger log = LoggerFactory.getLogger(KeysApi.class);

  private final Store store;
  private final Map<NetworkId, RequestVerifier> verifiers;
  private final Function<NetworkId, Set<String>> schemes;
  private final Clock clock;
  private final LogSigner signer;
  private final RelayTable relays = new RelayTable(new SecureRandom());

  /**
   * @param verifiers the networks that may call, each with its adapter's {@link RequestVerifier}
   * @param schemes every configured network's declared e2ee schemes ({@link #schemesOf}); a
   *     recipient is resolved to the first of their accounts whose network declares the scheme
   * @param signer the operator's key the tree heads are signed with
   */
  public KeysApi(
      Store store, Map<NetworkId, RequestVerifier> verifiers, Map<NetworkId, Set<String>> schemes,
      LogSigner signer, Clock clock) {
    this.store = store;
    this.verifiers = new TreeMap<>(java.util.Comparator.comparing(NetworkId::value));
    this.verifiers.putAll(verifiers);
    Map<NetworkId, Set<String>> copy = Map.copyOf(schemes);
    this.schemes = id -> copy.getOrDefault(id, Set.of());
    this.clock = clock;
    this.signer = signer;
  }

  /** The networks whose adapters can authenticate requests ({@link RequestVerifier}). */
  public static Map<NetworkId, RequestVerifier> verifiersOf(Collection<Network> networks) {
    Map<NetworkId, RequestVerifier> m = new TreeMap<>(java.util.Comparator.comparing(NetworkId::value));
    for (Network n : networks) {
      n.adapter().feature(RequestVerifier.class).ifPresent(v -> m.put(n.id(), v));
    }
    return m;
  }

  /** Every network's declared e2ee schemes, for the constructor. */
  public static Map<NetworkId, Set<String>> schemesOf(Collection<Network> networks) {
    Map<NetworkId, Set<String>> m = new TreeMap<>(java.util.Comparator.comparing(NetworkId::value));
    for (Network n : networks) {
      m.put(n.id(), Set.copyOf(n.adapter().capabilities().e2eeSchemes()));
    }
    return m;
  }

  /** Whether {@link #handle} answers {@code path}. */
  public static boolean handles(String path) {
    return path.equals(KEYS_PREFIX) || path.startsWith(KEYS_PREFIX + "/") || NETWORK_KEYS.matcher(path).matches();
  }

  /** Answers a request whose path {@link #handles} accepts. Never blocks. */
  public CompletionStage<HttpResponse> handle(HttpRequest req) {
    String path = req.path();
    if (path.equals(TREE_HEAD_PATH) || path.equals(CONSISTENCY_PATH) || path.equals(SIGNING_KEY_PATH)) {
      if (!req.method().equals("GET")) {
        return done(methodNotAllowed());
      }
      return path.equals(TREE_HEAD_PATH) ? treeHead() : path.equals(CONSISTENCY_PATH) ? consistency(req) : signingKey();
    }
    if (path.equals(LOG_PATH)) {
      if (!req.method().equals("GET")) {
        return done(methodNotAllowed());
      }
      Optional<NetworkId> caller = anySigner(req);
      if (caller.isEmpty()) {
        return done(badSignature());
      }
      return logEntries(caller.get(), req);
    }
    Matcher m = NETWORK_KEYS.matcher(path);
    if (!m.matches()) {
      return done(Json.error(404, "not_found", "no such endpoint"));
    }
    String id = m.group(1);
    if (!NetworkId.isValid(id) || !verifiers.containsKey(NetworkId.of(id))) {
      return done(Json.error(404, "unknown_network", "no such network is configured for the key directory"));
    }
    NetworkId network = NetworkId.of(id);
    if (!verifiers.get(network).verify(req)) {
      return done(badSignature());
    }
    switch (req.method()) {
      case "PUT":
        return publish(network, req.body());
      case "GET":
        return fetch(network, req);
      default:
        return done(methodNotAllowed());
    }
  }

  private Optional<NetworkId> anySigner(HttpRequest req) {
    NetworkId found = null;
    for (Map.Entry<NetworkId, RequestVerifier> e : verifiers.entrySet()) {
      // every network is tried (no early exit), so timing does not tell which one matched
      if (e.getValue().verify(req) && found == null) {
        found = e.getKey();
      }
    }
    return Optional.ofNullable(found);
  }

  // ---- PUT /v1/networks/{id}/keys

  private CompletionStage<HttpResponse> publish(NetworkId network, byte[] body) {
    JsonNode n;
    try {
      n = EnvelopeJson.readJson(body);
    } catch (io.parlor.spi.envelope.EnvelopeException e) {
      return done(invalid(e.getMessage()));
    }
    if (n == null || !n.isObject()) {
      return done(invalid("body: must be a JSON object"));
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (f.toLowerCase(Locale.ROOT).contains("private") || f.toLowerCase(Locale.ROOT).contains("secret")) {
        return done(invalid(f + ": the key directory never accepts private keys; nothing was stored"));
      }
    }
    JsonNode accountNode = n.get("account");
    if (accountNode == null || !accountNode.isTextual() || !Address.isValid(accountNode.textValue())
        || Address.of(accountNode.textValue()).kind() != Address.Kind.ACCOUNT
        || !Address.of(accountNode.textValue()).network().orElseThrow().equals(network)) {
      return done(invalid("account: must be a network:account address on network " + network));
    }
    Address account = Address.of(accountNode.textValue());
    JsonNode schemeNode = n.get("scheme");
    if (schemeNode == null || !schemeNode.isTextual() || !PublicKeys.SCHEMES.contains(schemeNode.textValue())) {
      return done(invalid("scheme: must be one of " + PublicKeys.SCHEMES));
    }
    String scheme = schemeNode.textValue();
    if (!schemes.apply(network).contains(scheme)) {
      return done(invalid("scheme: network " + network + " does not declare " + scheme + " in capabilities.e2ee"));
    }
    JsonNode keyNode = n.get("publicKey");
    if (keyNode == null || !keyNode.isTextual() || keyNode.textValue().isEmpty()) {
      return done(invalid("publicKey: is required (standard base64)"));
    }
    byte[] key;
    try {
      key = PublicKeys.normalize(scheme, Base64.getDecoder().decode(keyNode.textValue()));
    } catch (PublicKeys.RefusedKey e) {
      return done(invalid(e.getMessage()));
    } catch (IllegalArgumentException e) {
      return done(invalid("publicKey: must be standard base64"));
    }
    return store
        .write(
            c -> {
              Optional<KeyLog.Entry> current = KeyLog.current(c, account, scheme);
              // publishing the current key again (a retry) appends nothing
              KeyLog.Entry e =
                  current.isPresent() && KeyLog.sameKey(current.get(), key)
                      ? current.get()
                      : KeyLog.append(c, network, account, scheme, key, clock.instant());
              ObjectNode o = Json.object();
              o.put("seq", e.seq());
              o.put("entryHash", HexFormat.of().formatHex(e.entryHash()));
              return Json.ok(200, o);
            })
        .exceptionally(KeysApi::storeFailure);
  }

  // ---- GET /v1/networks/{id}/keys?for=...&scheme=...

  private CompletionStage<HttpResponse> fetch(NetworkId caller, HttpRequest req) {
    Optional<String> forParam = req.queryParam("for");
    if (forParam.isEmpty() || !Address.isValid(forParam.get())) {
      return done(invalid("for: must be a network:account address, an @handle or a ~relay handle (URL-encoded)"));
    }
    Address to = Address.of(forParam.get());
    String scheme = req.queryParam("scheme").orElse(PublicKeys.X25519_AESGCM_V1);
    if (!PublicKeys.SCHEMES.contains(scheme)) {
      return done(invalid("scheme: must be one of " + PublicKeys.SCHEMES));
    }
    if (to.kind() == Address.Kind.RELAY) {
      // a group address answers every other member's key; minting how a member appears to the
      // caller's person is a write, so only group addresses take the writer
      return store
          .read(c -> relays.find(c, to).filter(r -> r.represents().isGroup()).isPresent())
          .thenCompose(group -> group ? store.write(c -> groupKeys(c, caller, to, scheme)) : single(caller, to, scheme))
          .exceptionally(KeysApi::storeFailure);
    }
    return single(caller, to, scheme);
  }

  /**
   * Every other member's key for the group behind {@code to} — a group address of the caller's
   * member — each named by the member's handle as that member sees them (the key of the sender's
   * {@code content.perMember}), and how many members have no key for the scheme; 404 for anyone
   * who is not a member (answered like an unknown address).
   */
  private HttpResponse groupKeys(Connection c, NetworkId caller, Address to, String scheme) throws SQLException {
    Optional<RelayTable.Relay> relay = relays.find(c, to);
    if (relay.isEmpty() || !relay.get().viewer().isPerson() || !seenOn(c, relay.get().viewer(), caller)
        || !Groups.isMember(c, relay.get().represents().groupId(), relay.get().viewer().personId())) {
      return Json.error(404, "recipient_unreachable", "recipient is not reachable");
    }
    PartyKey viewer = relay.get().viewer();
    String groupId = relay.get().represents().groupId();
    ObjectNode o = Json.object();
    o.put("scheme", scheme);
    ArrayNode members = o.putArray("members");
    List<Map.Entry<ObjectNode, KeyLog.Entry>> proofs = new java.util.ArrayList<>();
    int missing = 0;
    for (GroupTable.Membership m : GroupTable.members(c, groupId)) {
      PartyKey member = PartyKey.person(m.personId());
      if (m.state() != GroupTable.State.MEMBER || member.equals(viewer)) {
        continue;
      }
      Optional<KeyLog.Entry> key = keyOf(c, m.personId(), scheme);
      if (key.isEmpty()) {
        missing++;
        continue;
      }
      ObjectNode x = members.addObject();
      x.put("member", GroupFanOut.appearance(c, relays, member, viewer, clock.instant()).value());
      x.put("publicKey", Base64.getEncoder().encodeToString(key.get().publicKey()));
      x.put("keyId", HexFormat.of().formatHex(key.get().entryHash()));
      x.put("seq", key.get().seq());
      proofs.add(Map.entry(x, key.get()));
    }
    // the tree's size read after the entries: it holds them all (another node may append meanwhile)
    long size = KeyLog.head(c).seq();
    for (Map.Entry<ObjectNode, KeyLog.Entry> p : proofs) {
      proveIn(c, p.getValue(), size, p.getKey());
    }
    o.put("missing", missing);
    head(o.putObject("treeHead"), c, size);
    return Json.ok(200, o);
  }

  private CompletionStage<HttpResponse> single(NetworkId caller, Address to, String scheme) {
    return store
        .read(
            c -> {
              Optional<KeyLog.Entry> found = resolve(c, caller, to, scheme);
              if (found.isEmpty()) {
                return Json.error(404, "recipient_unreachable", "recipient is not reachable");
              }
              KeyLog.Entry e = found.get();
              long size = KeyLog.head(c).seq();
              ObjectNode o = Json.object();
              o.put("scheme", e.scheme());
              o.put("publicKey", Base64.getEncoder().encodeToString(e.publicKey()));
              o.put("keyId", HexFormat.of().formatHex(e.entryHash()));
              o.put("seq", e.seq());
              proveIn(c, e, size, o);
              head(o.putObject("treeHead"), c, size);
              return Json.ok(200, o);
            })
        .exceptionally(KeysApi::storeFailure);
  }

  /**
   * The current key of the person behind {@code to}, at the first of their accounts (preference
   * order) whose network declares {@code scheme}; empty for an unknown address, a person who has
   * not opted in or is reachable by nobody, a relay handle not shown on the caller's network, or
   * no key published at that account. (The router delivers encrypted content to that same first
   * capable account while its network is healthy.)
   */
  private Optional<KeyLog.Entry> resolve(Connection c, NetworkId caller, Address to, String scheme)
      throws SQLException {
    Optional<String> personId;
    switch (to.kind()) {
      case ACCOUNT:
        personId = PeopleTable.personOf(c, to);
        break;
      case HANDLE:
        personId = PeopleTable.personByHandle(c, to.value().substring(1));
        break;
      case RELAY:
      default:
        Optional<RelayTable.Relay> relay = relays.find(c, to);
        if (relay.isEmpty() || !relay.get().represents().isPerson() || !seenOn(c, relay.get().viewer(), caller)) {
          return Optional.empty();
        }
        personId = Optional.of(relay.get().represents().personId());
        break;
    }
    if (personId.isEmpty()) {
      return Optional.empty();
    }
    Optional<Person> person = PeopleTable.find(c, personId.get());
    if (person.isEmpty() || !person.get().optIn() || person.get().reachableBy() == ReachableBy.NOBODY) {
      return Optional.empty();
    }
    return keyOf(c, person.get().id(), scheme);
  }

  /** The current key at the first of a person's accounts whose network declares {@code scheme}. */
  private Optional<KeyLog.Entry> keyOf(Connection c, String personId, String scheme) throws SQLException {
    for (Address a : PeopleTable.accounts(c, personId)) {
      if (schemes.apply(a.network().orElseThrow()).contains(scheme)) {
        return KeyLog.current(c, a, scheme);
      }
    }
    return Optional.empty();
  }

  /** Whether the viewer of a relay handle has an account on {@code network} (only they may use it). */
  private static boolean seenOn(Connection c, PartyKey viewer, NetworkId network) throws SQLException {
    List<Address> accounts =
        viewer.isPerson() ? PeopleTable.accounts(c, viewer.personId()) : List.of(viewer.address());
    for (Address a : accounts) {
      if (a.network().map(network::equals).orElse(false)) {
        return true;
      }
    }
    return false;
  }

  // ---- GET /v1/keys/log?from=&limit=

  private CompletionStage<HttpResponse> logEntries(NetworkId caller, HttpRequest req) {
    long from;
    int limit;
    try {
      from = Long.parseLong(req.queryParam("from").orElse("1"));
      if (from < 1) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      return done(invalid("from: must be a positive integer"));
    }
    try {
      limit = Integer.parseInt(req.queryParam("limit").orElse(Integer.toString(DEFAULT_LIMIT)));
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      return done(invalid("limit: must be an integer from 1 to " + MAX_LIMIT));
    }
    return store
        .read(
            c -> {
              Map.Entry<List<KeyLog.Entry>, KeyLog.Head> r = Map.entry(KeyLog.entries(c, from, limit), KeyLog.head(c));
              ObjectNode o = Json.object();
              ArrayNode arr = o.putArray("entries");
              HexFormat hex = HexFormat.of();
              for (KeyLog.Entry e : r.getKey()) {
                ObjectNode x = arr.addObject();
                x.put("seq", e.seq());
                x.put("network", e.network());
                x.put("accountCommitment", hex.formatHex(e.accountCommitment()));
                x.put("scheme", e.scheme());
                x.put("publicKey", Base64.getEncoder().encodeToString(e.publicKey()));
                x.put("at", e.at());
                x.put("prevHash", hex.formatHex(e.prevHash()));
                x.put("entryHash", hex.formatHex(e.entryHash()));
                // the publishing network may check its own entries' commitments
                if (e.network().equals(caller.value()) && e.account() != null && e.accountSalt() != null) {
                  x.put("account", e.account());
                  x.put("accountSalt", hex.formatHex(e.accountSalt()));
                }
              }
              ObjectNode head = o.putObject("head");
              head.put("seq", r.getValue().seq());
              head.put("entryHash", hex.formatHex(r.getValue().entryHash()));
              head(o.putObject("treeHead"), c, r.getValue().seq());
              return Json.ok(200, o);
            })
        .exceptionally(KeysApi::storeFailure);
  }

  // ---- the Merkle tree: heads and proofs

  /** Adds {@code e}'s leaf and its inclusion proof in the tree of {@code size} entries. */
  private static void proveIn(Connection c, KeyLog.Entry e, long size, ObjectNode o) throws SQLException {
    HexFormat hex = HexFormat.of();
    ObjectNode leaf = o.putObject("leaf");
    leaf.put("index", e.seq() - 1);
    leaf.put("network", e.network());
    leaf.put("accountCommitment", hex.formatHex(e.accountCommitment()));
    leaf.put("at", e.at());
    ArrayNode path = o.putArray("inclusion");
    for (byte[] h : MerkleTree.inclusion(c, e.seq() - 1, size)) {
      path.add(hex.formatHex(h));
    }
  }

  /** Writes the signed head of the tree of the first {@code size} entries into {@code o}. */
  private void head(ObjectNode o, Connection c, long size) throws SQLException {
    LogSigner.TreeHead h = signer.sign(size, MerkleTree.root(c, size), clock.millis());
    o.put("treeSize", h.treeSize());
    o.put("rootHash", HexFormat.of().formatHex(h.rootHash()));
    o.put("timestamp", h.timestamp());
    o.put("signature", Base64.getEncoder().encodeToString(h.signature()));
  }

  private CompletionStage<HttpResponse> treeHead() {
    return store
        .read(
            c -> {
              ObjectNode o = Json.object();
              head(o, c, KeyLog.head(c).seq());
              return Json.ok(200, o);
            })
        .exceptionally(KeysApi::storeFailure);
  }

  private CompletionStage<HttpResponse> consistency(HttpRequest req) {
    long first;
    long second;
    try {
      first = Long.parseLong(req.queryParam("first").orElse(""));
      if (first < 1) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      return done(invalid("first: must be a positive integer (a tree size)"));
    }
    try {
      second = Long.parseLong(req.queryParam("second").orElse(""));
      if (second < first) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      return done(invalid("second: must be an integer, at least first"));
    }
    return store
        .read(
            c -> {
              long size = KeyLog.head(c).seq();
              if (second > size) {
                return invalid("second: the log has " + size + " entries");
              }
              ObjectNode o = Json.object();
              o.put("first", first);
              o.put("second", second);
              ArrayNode proof = o.putArray("proof");
              for (byte[] h : MerkleTree.consistency(c, first, second)) {
                proof.add(HexFormat.of().formatHex(h));
              }
              return Json.ok(200, o);
            })
        .exceptionally(KeysApi::storeFailure);
  }

  private CompletionStage<HttpResponse> signingKey() {
    ObjectNode o = Json.object();
    o.put("algorithm", "Ed25519");
    o.put("publicKey", Base64.getEncoder().encodeToString(signer.publicKey()));
    o.put("keyId", signer.keyId());
    return done(Json.ok(200, o));
  }

  // ---- answers

  private static HttpResponse storeFailure(Throwable err) {
    Throwable cause = err.getCause() != null ? err.getCause() : err;
    if (io.parlor.core.store.StoreUnavailableException.in(err)) {
      log.debug("key directory: the store cannot write for now");
    } else {
      log.warn("key directory: store unavailable ({})", cause.getClass().getSimpleName());
    }
    return Json.error(503, "unavailable", "temporarily unavailable; retry later", Map.of("retry-after", "1"));
  }

  private static HttpResponse invalid(String message) {
    return Json.error(400, "invalid_request", message);
  }

  private static HttpResponse badSignature() {
    return Json.error(401, "bad_signature", "Parlor-Signature header missing, wrong or stale");
  }

  private static HttpResponse methodNotAllowed() {
    return Json.error(405, "method_not_allowed", "method not allowed here");
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }
}
