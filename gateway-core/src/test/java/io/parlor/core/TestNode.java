package io.parlor.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parlor.adapter.webhook.Signatures;
import io.parlor.adapter.webhook.WebhookAdapterProvider;
import io.parlor.core.config.ConfigLoader;
import io.parlor.core.config.GatewayConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Test helper: a node started from YAML, plus signed HTTP calls to it. */
final class TestNode implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SECRET_A = "secret-of-network-a-0001";
  static final String SECRET_B = "secret-of-network-b-0002";

  final Gateway gateway;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  TestNode(Path dir, String yaml) throws Exception {
    this(dir, yaml, Clock.systemUTC());
  }

  TestNode(Path dir, String yaml, Clock clock) throws Exception {
    Path file = dir.resolve("parlor.yaml");
    Files.writeString(file, onTestStore(yaml));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), List.of(new WebhookAdapterProvider())).load(file);
    if (!r.ok()) {
      throw new AssertionError("config problems: " + r.problems());
    }
    GatewayConfig config = r.config().orElseThrow();
    gateway = Gateway.start(config, clock);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^store:\\n  path: (.*)$").matcher(yaml);
    if (m.find()) {
      SEALS.put(Path.of(m.group(1).trim()).toAbsolutePath(), gateway.graphSeal());
    }
  }

  /** The seal of each store a node of this run started on, by its configured path. */
  private static final Map<Path, io.parlor.core.store.GraphSeal> SEALS = new java.util.concurrent.ConcurrentHashMap<>();

  private static final java.util.regex.Pattern SEALED = java.util.regex.Pattern.compile("s[0-9]+\\.[A-Za-z0-9_-]{22,}");

  /**
   * {@code text} (a row of the store at {@code db}, as tests read it) with every sealed value of
   * the social graph opened: a test that looks for a person in the store's rows finds them
   * whether they are stored in clear or sealed.
   */
  static String unsealed(Path db, String text) {
    io.parlor.core.store.GraphSeal seal = SEALS.get(db.toAbsolutePath());
    if (seal == null) {
      return text;
    }
    return SEALED.matcher(text).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(seal.openOrFail(m.group())));
  }

  /** {@code value} as the store at {@code db} keeps it (sealed). */
  static String sealed(Path db, String value) {
    io.parlor.core.store.GraphSeal seal = SEALS.get(db.toAbsolutePath());
    if (seal == null) {
      throw new AssertionError("no node of this run started on " + db);
    }
    return seal.seal(value);
  }

  /** Which store the tests' nodes run on: {@code -Dparlor.test.store=postgres}, or SQLite. */
  static boolean onPostgres() {
    return "postgres".equals(System.getProperty("parlor.test.store"));
  }

  private static final Map<String, String> DATABASES = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * On PostgreSQL, the config's {@code store: path: F} becomes a database of the test server (the
   * same database for the same F, so that a node restarted on its store finds it again).
   */
  static String onTestStore(String yaml) {
    if (!onPostgres()) {
      return yaml;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^store:\\n  path: (.*)$").matcher(yaml);
    if (!m.find()) {
      throw new AssertionError("the store suite runs on PostgreSQL, but this node's config has no"
          + " `store:` / `  path:` lines to replace: it would run on SQLite");
    }
    String url = DATABASES.computeIfAbsent(m.group(1).trim(),
        f -> io.parlor.core.store.PostgresServer.shared().newDatabase());
    boolean ownKey = yaml.contains("\n  encryptionKey:");
    return yaml.substring(0, m.start()) + io.parlor.core.store.PostgresServer.storeYaml(url, !ownKey)
        + yaml.substring(m.end());
  }

  /**
   * What a logback {@code ListAppender} caught so far: a copy taken under the appender's own lock
   * (the node logs from its threads while a test reads).
   */
  static <E> List<E> snapshot(ch.qos.logback.core.read.ListAppender<E> appender) {
    synchronized (appender) {
      return new java.util.ArrayList<>(appender.list);
    }
  }

  /** A connection to the store a node's config names as {@code store: path: file}, on either store. */
  static java.sql.Connection connect(Path file) throws java.sql.SQLException {
    if (!onPostgres()) {
      return java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
    }
    String url = DATABASES.get(file.toString());
    if (url == null) {
      throw new IllegalStateException("no node ran on " + file);
    }
    return io.parlor.core.store.PostgresServer.shared().connect(url.substring(url.lastIndexOf('/') + 1));
  }

  /** The rows of {@code table} in the store at {@code file} (as {@link #connect}). */
  static long rows(Path file, String table) {
    try (java.sql.Connection c = connect(file);
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every file that holds the data of the store a node's config names as {@code store: path:
   * file}: on SQLite the files in its directory; on PostgreSQL its database's directory and the
   * server's write-ahead log, after a checkpoint.
   */
  static List<Path> storeFiles(Path file) throws Exception {
    List<Path> roots = new java.util.ArrayList<>();
    if (!onPostgres()) {
      roots.add(file.getParent());
    } else {
      io.parlor.core.store.PostgresServer pg = io.parlor.core.store.PostgresServer.shared();
      try (java.sql.Connection c = connect(file); java.sql.Statement st = c.createStatement()) {
        st.execute("CHECKPOINT");
        try (java.sql.ResultSet rs = st.executeQuery("SELECT oid FROM pg_database WHERE datname = current_database()")) {
          rs.next();
          roots.add(pg.dataDirectory().resolve("base").resolve(rs.getString(1)));
        }
      }
      roots.add(pg.dataDirectory().resolve("pg_wal"));
    }
    List<Path> out = new java.util.ArrayList<>();
    for (Path root : roots) {
      try (var files = Files.walk(root)) {
        files.filter(Files::isRegularFile).forEach(out::add);
      }
    }
    return out;
  }

  /** Two webhook networks "neta" and "netb" delivering to the given base URLs. */
  static String twoNetworks(Path dir, String baseA, String baseB, String extra) {
    return String.join(
        "\n",
        "http:",
        "  port: 0",
        "  readTimeout: PT2S",
        "store:",
        "  path: " + dir.resolve("parlor.db"),
        "admin:",
        "  token: admin-token-0123456789",
        "delivery:",
        "  initialBackoff: PT0.05S",
        "  maxBackoff: PT0.2S",
        "  breakerOpenFor: PT0.2S",
        extra,
        "networks:",
        "  - id: neta",
        "    type: webhook",
        "    secret: " + SECRET_A,
        "    deliveryUrl: " + baseA + "/messages",
        "    statusUrl: " + baseA + "/status",
        "    capabilities:",
        "      e2ee: [x25519-aesgcm-v1]",
        "      expiry: true",
        "  - id: netb",
        "    type: webhook",
        "    secret: " + SECRET_B,
        "    deliveryUrl: " + baseB + "/messages",
        "    statusUrl: " + baseB + "/status",
        "    capabilities:",
        "      expiry: true",
        "");
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + gateway.port() + path);
  }

  HttpResponse<String> send(String network, String secret, String json) throws IOException, InterruptedException {
    return send(network, secret, json, Instant.now());
  }

  /** Signed at {@code at} (for nodes on a test clock). */
  HttpResponse<String> send(String network, String secret, String json, Instant at)
      throws IOException, InterruptedException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    return sendRaw(network, new Signatures(secret).sign(body, at), body);
  }

  /** A request of {@code network} to the node, signed with its secret. */
  HttpResponse<String> signed(String network, String secret, String method, String path, String json)
      throws IOException, InterruptedException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("content-type", "application/json")
        .header("Parlor-Signature", new Signatures(secret).sign(body, Instant.now()))
        .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> sendRaw(String network, String signature, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri("/v1/networks/" + network + "/messages"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (signature != null) {
      b.header("Parlor-Signature", signature);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> admin(String method, String path, String json) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri("/admin/v1" + path))
            .header("authorization", "Bearer admin-token-0123456789")
            .header("content-type", "application/json")
            .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static String text(String id, String from, String to, String text) {
    return JSON.createObjectNode()
        .put("id", id)
        .put("from", from)
        .put("to", to)
        .put("sentAt", Instant.now().toString())
        .set("content", JSON.createObjectNode().put("type", "text").put("text", text))
        .toString();
  }

  /** A request to the user API, with a session token (or none). */
  HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("content-type", "application/json")
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
    if (token != null) {
      b.header("authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The envelopes {@code net} received at {@code /messages} for {@code address}, oldest first. */
  static List<JsonNode> deliveredTo(com.github.tomakehurst.wiremock.WireMockServer net, String address) {
    List<JsonNode> out = new java.util.ArrayList<>();
    for (var r : net.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
        com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo("/messages")))) {
      JsonNode n = json(r.getBodyAsString());
      if (n.path("to").asText().equals(address)) {
        out.add(n);
      }
    }
    out.sort((a, b) -> a.path("sentAt").asText().compareTo(b.path("sentAt").asText()));
    return out;
  }

  static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    gateway.close(Duration.ofSeconds(2));
  }
}
