package io.parlor.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.config.ConfigProblem;
import io.parlor.spi.config.ConfigView;
import io.parlor.spi.envelope.NetworkId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a YAML config file: substitutes {@code ${VAR}} and {@code ${VAR:-default}} from the
 * environment, validates every field, and reports every problem (file, field path, bad value,
 * what is expected) rather than stopping at the first. Unknown keys are problems too.
 */
public final class ConfigLoader {
  /** The directory of the config file being loaded: relative paths inside it start there. */
  private Path baseDir = Path.of("").toAbsolutePath();

  private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");
  private static final Duration MAX_RETENTION = Duration.ofDays(30);
  /**
   * The shortest {@code delivery.dedupeWindow}: twice a webhook signature's allowed clock skew
   * (300 s either side), the longest a captured request stays replayable after it first arrived.
   */
  public static final Duration MIN_DEDUPE_WINDOW = Duration.ofMinutes(10);

  /**
   * 10,000, or fewer when the process may open fewer files: each connection is a file descriptor,
   * and the store, the adapters' sockets and the JVM need some (1,000 are left to them).
   */
  public static int defaultMaxInMemory() {
    // a held message costs about 2 KB with its timer: a sixteenth of the heap's worth at most
    return (int) Math.max(1_000, Math.min(100_000, Runtime.getRuntime().maxMemory() / (16 * 1024)));
  }

  public static int defaultMaxConnections() {
    long files = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : Long.MAX_VALUE;
    return (int) Math.max(16, Math.min(10_000, files - 1_000));
  }

  /** The outcome: a config, or the problems that prevent one. */
  public record Result(Optional<GatewayConfig> config, List<ConfigProblem> problems) {
    public boolean ok() {
      return problems.isEmpty() && config.isPresent();
    }
  }

  private final Map<String, String> env;
  private final Map<String, AdapterProvider<?>> providers = new LinkedHashMap<>();

  public ConfigLoader(Map<String, String> env, List<AdapterProvider<?>> providers) {
    this.env = env;
    for (AdapterProvider<?> p : providers) {
      this.providers.put(p.type(), p);
    }
  }

  public Result load(Path file) {
    List<ConfigProblem> problems = new ArrayList<>();
    Object tree;
    try {
      String text = Files.readString(file);
      tree = new ObjectMapper(new YAMLFactory()).readValue(text, Object.class);
    } catch (NoSuchFileException e) {
      problems.add(new ConfigProblem("(file)", file.toString(), "an existing, readable YAML file"));
      return new Result(Optional.empty(), problems);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      problems.add(new ConfigProblem("(file)", "invalid YAML" + where, "valid YAML"));
      return new Result(Optional.empty(), problems);
    } catch (IOException e) {
      problems.add(new ConfigProblem("(file)", file.toString(), "a readable file (" + e.getMessage() + ")"));
      return new Result(Optional.empty(), problems);
    }
    if (tree == null) {
      tree = Map.of();
    }
    if (!(tree instanceof Map<?, ?> map)) {
      problems.add(new ConfigProblem("(root)", String.valueOf(tree), "a YAML mapping of sections"));
      return new Result(Optional.empty(), problems);
    }
    Object substituted = substitute("", map, problems);
    @SuppressWarnings("unchecked")
    Map<String, Object> root = (Map<String, Object>) substituted;
    baseDir = file.toAbsolutePath().getParent();
    GatewayConfig config = parse(ConfigView.root(root, problems));
    if (!isLoopbackQuiet(config.http().bind())) {
      placeholders("", root, problems);
    }
    return new Result(problems.isEmpty() ? Optional.of(config) : Optional.empty(), List.copyOf(problems));
  }

  private Object substitute(String path, Object v, List<ConfigProblem> problems) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, val) -> out.put(String.valueOf(k), substitute(join(path, String.valueOf(k)), val, problems)));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < l.size(); i++) {
        out.add(substitute(path + "[" + i + "]", l.get(i), problems));
      }
      return out;
    }
    if (v instanceof String s && s.contains("${")) {
      Matcher m = VAR.matcher(s);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        String value = env.get(m.group(1));
        if (value == null || (value.isEmpty() && m.group(2) != null)) {
          value = m.group(3);
        }
        if (value == null) {
          problems.add(
              new ConfigProblem(path, "${" + m.group(1) + "}", "environment variable " + m.group(1) + " to be set"));
          value = "";
        }
        m.appendReplacement(sb, Matcher.quoteReplacement(value));
      }
      m.appendTail(sb);
      return sb.toString();
    }
    return v;
  }

  /**
   * Off loopback, the shipped placeholder secrets ({@code change-me…}) would let anyone who read
   * the sample config sign requests: every such value is a problem, named by its path.
   */
  private static void placeholders(String path, Object v, List<ConfigProblem> problems) {
    if (v instanceof Map<?, ?> m) {
      m.forEach((k, val) -> placeholders(join(path, String.valueOf(k)), val, problems));
    } else if (v instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        placeholders(path + "[" + i + "]", l.get(i), problems);
      }
    } else if (v instanceof String s && s.toLowerCase(java.util.Locale.ROOT).startsWith("change-me")) {
      problems.add(new ConfigProblem(path, "<a change-me placeholder>",
          "a real secret (placeholders are refused when http.bind is not a loopback address)"));
    }
  }

  private static boolean isLoopbackQuiet(String bind) {
    try {
      return InetAddress.getByName(bind).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return true; // reported by parse
    }
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private GatewayConfig parse(ConfigView root) {
    ConfigView node = section(root, "node");
    String nodeId = node.string("id", "parlor-1");
    String region = node.string("region", "local");
    node.reportUnknownKeys();

    ConfigView httpView = section(root, "http");
    String bind = httpView.string("bind", "127.0.0.1");
    int port = httpView.integer("port", 8080, 0, 65535);
    Duration readTimeout = httpView.duration("readTimeout", Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofMinutes(10));
    Duration idleTimeout = httpView.duration("idleTimeout", Duration.ofSeconds(60), Duration.ofMillis(100), Duration.ofHours(1));
    Optional<java.net.URI> publicUrl = httpView.optUrl("publicUrl");
    List<String> trustedProxies = cidrs(httpView, "trustedProxies");
    Optional<GatewayConfig.Tls> tls = tls(httpView);
    GatewayConfig.Limits limits = new GatewayConfig.Limits(
        httpView.duration("requestDeadline", Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofMinutes(10)),
        httpView.integer("maxConnections", defaultMaxConnections(), 16, 1_000_000),
        httpView.integer("maxConnectionsPerClient", 1_000, 1, 1_000_000));
    httpView.reportUnknownKeys();
    boolean loopback = isLoopback(bind, httpView);

    GatewayConfig.StoreSettings storeSettings = store(section(root, "store"), baseDir);

    ConfigView admin = section(root, "admin");
    Optional<String> token = admin.optSecret("token");
    if (token.isPresent() && (token.get().strip().length() < 16 || !token.get().equals(token.get().strip()))) {
      // a bearer token is compared without surrounding spaces: one made of spaces, or padded with
      // them, would be no secret or never match
      admin.problem("token", "<redacted>", "at least 16 characters, without spaces at either end");
    }
    if (token.isEmpty() && !loopback) {
      admin.problem("token", "<missing>", "a bearer token (required because http.bind is not a loopback address)");
    }
    admin.reportUnknownKeys();

    ConfigView policy = section(root, "policy");
    Duration retention = policy.duration("metadataRetention", Duration.ofDays(7), Duration.ofHours(1), MAX_RETENTION);
    List<String> denied = policy.stringList("deniedRegions", List.of());
    if (denied.contains(region)) {
      node.problem("region", "\"" + region + "\"", "a region not listed in policy.deniedRegions (storage is refused there)");
    }
    Duration threadTtl = policy.duration("threadTtl", Duration.ofDays(30), Duration.ofHours(1), Duration.ofDays(365));
    // the timer a new one-to-one thread starts with (each side can then shorten it, or turn theirs off)
    Optional<Duration> defaultThreadTimer = policy.has("defaultThreadTimer")
        ? Optional.of(policy.duration("defaultThreadTimer", Duration.ofDays(365), Duration.ofSeconds(1),
            Duration.ofSeconds(io.parlor.spi.envelope.Timer.MAX_SECONDS)))
        : Optional.empty();
    int maxNew = policy.integer("maxNewRecipientsPerHour", 200, 1, 1_000_000);
    int maxGroupSize = policy.integer("maxGroupSize", 32, 2, 256);
    int holdAfterReports = policy.integer("holdAfterReports", 5, 1, 1_000_000);
    boolean keepReportsAfterForget = policy.bool("keepReportsAfterForget", false);
    io.parlor.core.safety.Limits.Settings dl = io.parlor.core.safety.Limits.Settings.defaults();
    io.parlor.core.safety.Limits.Settings volume = new io.parlor.core.safety.Limits.Settings(
        policy.integer("senderPerMinute", dl.senderPerMinute(), 1, 1_000_000),
        policy.integer("senderBurst", dl.senderBurst(), 1, 1_000_000),
        policy.integer("pairPerMinute", dl.pairPerMinute(), 1, 1_000_000),
        policy.integer("pairBurst", dl.pairBurst(), 1, 1_000_000),
        policy.integer("networkPerSecond", dl.networkPerSecond(), 1, 10_000_000),
        policy.integer("networkBurst", dl.networkBurst(), 1, 10_000_000),
        policy.integer("throttleNetworkAfterReports", dl.throttleNetworkAfterReports(), 1, 100_000_000),
        policy.integer("holdAfterStrangers", dl.holdAfterStrangers(), 1, 1_000_000));
    policy.reportUnknownKeys();

    ConfigView d = section(root, "delivery");
    GatewayConfig.Delivery delivery =
        new GatewayConfig.Delivery(
            d.duration("maxAge", Duration.ofDays(7), Duration.ofSeconds(1), Duration.ofDays(30)),
            d.duration("initialBackoff", Duration.ofSeconds(1), Duration.ofMillis(1), Duration.ofMinutes(10)),
            d.duration("maxBackoff", Duration.ofMinutes(5), Duration.ofMillis(1), Duration.ofHours(6)),
            d.duration("breakerOpenFor", Duration.ofSeconds(30), Duration.ofMillis(10), Duration.ofHours(1)),
            // never shorter than a signed request stays replayable: a signature is accepted up to
            // 300 s either side of its timestamp, so a capture replays for up to 10 minutes after
            // the first arrival — a shorter window would take the replay as a new message
            d.duration("dedupeWindow", Duration.ofDays(1), MIN_DEDUPE_WINDOW, Duration.ofDays(30)),
            d.integer("maxBatch", 256, 1, 10_000),
            d.duration("receiptWait", Duration.ofDays(1), Duration.ofSeconds(1), Duration.ofDays(7)),
            d.integer("maxInMemory", defaultMaxInMemory(), 100, 10_000_000),
            d.integer("maxQueued", 1_000_000, 100, 1_000_000_000),
            d.duration("leaseTtl", Duration.ofSeconds(15), Duration.ofSeconds(3), Duration.ofMinutes(5)));
    d.reportUnknownKeys();

    ConfigView u = section(root, "users");
    GatewayConfig.Users users =
        new GatewayConfig.Users(
            u.duration("sessionTtl", Duration.ofDays(7), Duration.ofMinutes(5), Duration.ofDays(90)),
            u.integer("codesPerAccount", 3, 1, 100),
            u.integer("codesPerClient", 10, 1, 10_000));
    u.reportUnknownKeys();

    ConfigView m = section(root, "media");
    GatewayConfig.Media media =
        new GatewayConfig.Media(
            m.duration("linkTtl", Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofDays(7)),
            m.integer("maxBytes", 100 * 1024 * 1024, 1024, Integer.MAX_VALUE),
            cidrs(m, "allowedPrivateRanges"),
            m.duration("fetchTimeout", Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofMinutes(10)));
    m.reportUnknownKeys();

    ConfigView logging = section(root, "logging");
    String format = logging.oneOf("format", "text", List.of("text", "json"));
    String level = logging.oneOf("level", "info", List.of("error", "warn", "info", "debug"));
    logging.reportUnknownKeys();

    List<GatewayConfig.NetworkConfig> networks = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (ConfigView n : root.children("networks")) {
      String id = n.string("id");
      if (id != null && !NetworkId.isValid(id)) {
        n.problem("id", "\"" + id + "\"", "a network id matching [a-z][a-z0-9_-]{0,31}");
        id = null;
      } else if (id != null && !ids.add(id)) {
        n.problem("id", "\"" + id + "\"", "a network id not used by another network");
        id = null;
      } else if ("parlor".equals(id)) {
        n.problem("id", "\"parlor\"", "a network id other than parlor (the node's own messages use it)");
        id = null;
      }
      String type = n.string("type");
      String netRegion = n.string("region", region);
      io.parlor.core.safety.Limits.Trust trust = io.parlor.core.safety.Limits.Trust.STANDARD;
      if (n.has("trust")) {
        String t = n.string("trust");
        java.util.Optional<io.parlor.core.safety.Limits.Trust> parsed =
            t == null ? java.util.Optional.empty() : io.parlor.core.safety.Limits.Trust.parse(t);
        if (parsed.isEmpty()) {
          n.problem("trust", "\"" + t + "\"", "trusted, standard or new (how far the network's senders are trusted:"
              + " every limit of theirs is multiplied by 4, 1 or 1/4)");
        } else {
          trust = parsed.get();
        }
      }
      AdapterProvider<?> provider = type == null ? null : providers.get(type);
      if (type != null && provider == null) {
        n.problem("type", "\"" + type + "\"", "one of " + providers.keySet());
      }
      Object adapterConfig = provider == null ? null : provider.parseConfig(n);
      n.reportUnknownKeys();
      if (id != null && provider != null && adapterConfig != null) {
        networks.add(new GatewayConfig.NetworkConfig(NetworkId.of(id), type, netRegion, provider, adapterConfig, trust));
      }
    }
    root.reportUnknownKeys();
    return new GatewayConfig(
        nodeId, region, new GatewayConfig.Http(bind, port, readTimeout, idleTimeout, publicUrl, trustedProxies, tls, limits), storeSettings, token,
        retention, denied, threadTtl, defaultThreadTimer, maxNew, maxGroupSize, holdAfterReports, volume, keepReportsAfterForget, delivery, users, media, format, level, List.copyOf(networks));
  }

  /**
   * {@code store}: SQLite (the default, one file) or PostgreSQL. Keys of the other type are
   * refused by name rather than ignored, so a half-edited config does not silently run on SQLite.
   */
  private static GatewayConfig.StoreSettings store(ConfigView store, Path baseDir) {
    String type = store.oneOf("type", "sqlite", List.of("sqlite", "postgres"));
    Path path = null;
    String url = null;
    Optional<String> user = Optional.empty();
    Optional<String> password = Optional.empty();
    int poolSize = 10;
    if (type.equals("postgres")) {
      if (store.has("path")) {
        store.problem("path", "(set)", "no path with type postgres: the database is store.url");
      }
      url = store.optString("url").orElse(null);
      if (url == null) {
        store.problem("url", "(missing)", "a PostgreSQL JDBC URL, e.g. jdbc:postgresql://db.internal:5432/parlor");
      } else if (url.matches("(?i).*password=.*")) {
        // first: a URL with a password in it is never printed, whatever else is wrong with it
        store.problem("url", "(has a password)", "the password in store.password (e.g. ${PARLOR_DB_PASSWORD}), not in the URL");
        url = null;
      } else if (!url.startsWith("jdbc:postgresql://") || url.length() <= "jdbc:postgresql://".length()) {
        store.problem("url", ConfigView.quote(url), "a PostgreSQL JDBC URL, e.g. jdbc:postgresql://db.internal:5432/parlor");
        url = null;
      }
      user = store.optString("user");
      password = store.optSecret("password");
      poolSize = store.integer("poolSize", 10, 2, 200);
    } else {
      for (String key : List.of("url", "user", "password", "poolSize")) {
        if (store.has(key)) {
          store.problem(key, "(set)", "only with type postgres (the type is sqlite)");
        }
      }
      // a relative path in a config is the config file's business: resolved from its directory
      path = baseDir.resolve(store.string("path", "./data/parlor.db")).normalize();
    }
    // crypto-shredding: 32 random bytes in base64, kept outside the store (the environment)
    Optional<byte[]> encryptionKey = Optional.empty();
    Optional<String> key = store.optSecret("encryptionKey");
    String keyHint = "32 random bytes in base64 (e.g. `openssl rand -base64 32`), kept outside the"
        + " database, e.g. ${PARLOR_STORE_KEY}";
    if (key.isPresent()) {
      byte[] raw = null;
      try {
        raw = java.util.Base64.getDecoder().decode(key.get().strip());
      } catch (IllegalArgumentException notBase64) {
        // reported below
      }
      if (raw == null || raw.length != 32) {
        store.problem("encryptionKey", "(not shown)", keyHint);
      } else {
        encryptionKey = Optional.of(raw);
      }
    } else if (type.equals("postgres")) {
      // PostgreSQL keeps deleted rows (dead tuples, WAL): only sealed payloads may go there
      store.problem("encryptionKey", "(missing)", "required with type postgres: " + keyHint);
    }
    Duration keyEpoch = store.duration("keyEpoch", Duration.ofHours(1), Duration.ofSeconds(1), Duration.ofDays(1));
    store.reportUnknownKeys();
    return new GatewayConfig.StoreSettings(type, path, url, user, password, poolSize, encryptionKey, keyEpoch);
  }

  /**
   * {@code http.tls}: both PEM files, relative to the config's directory, loaded once here so that
   * check-config names a missing file or an unreadable key.
   */
  private Optional<GatewayConfig.Tls> tls(ConfigView http) {
    Optional<ConfigView> v = http.child("tls");
    if (v.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> cert = v.get().optString("certificate");
    Optional<String> key = v.get().optString("privateKey");
    v.get().reportUnknownKeys();
    if (cert.isEmpty() || key.isEmpty()) {
      v.get().problem(cert.isEmpty() ? "certificate" : "privateKey", "<missing>",
          "both http.tls.certificate and http.tls.privateKey (PEM files)");
      return Optional.empty();
    }
    GatewayConfig.Tls tls = new GatewayConfig.Tls(baseDir.resolve(cert.get()).normalize(), baseDir.resolve(key.get()).normalize());
    try {
      io.parlor.core.http.TlsContext.load(tls.certificate(), tls.privateKey());
    } catch (io.parlor.core.http.TlsContext.TlsException e) {
      http.problems().add(new ConfigProblem(e.field(),
          e.field().endsWith("privateKey") ? "<redacted>" : "\"" + (e.field().endsWith("certificate") ? cert.get() : cert.get() + ", " + key.get()) + "\"",
          e.expected()));
      return Optional.empty();
    }
    return Optional.of(tls);
  }

  /** A list of CIDR ranges, each checked. */
  private static List<String> cidrs(ConfigView v, String key) {
    List<String> raw = v.stringList(key, List.of());
    for (int i = 0; i < raw.size(); i++) {
      if (io.parlor.core.media.Cidr.parse(raw.get(i)).isEmpty()) {
        v.problems().add(new ConfigProblem(
            v.pathOf(key) + "[" + i + "]", "\"" + raw.get(i) + "\"", "an address range in CIDR form, e.g. 127.0.0.0/8 or ::1/128"));
      }
    }
    return raw;
  }

  private static ConfigView section(ConfigView root, String key) {
    return root.child(key).orElseGet(() -> emptySection(root, key));
  }

  private static ConfigView emptySection(ConfigView root, String key) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(key, new LinkedHashMap<String, Object>());
    return ConfigView.root(m, root.problems()).child(key).orElseThrow();
  }

  private static boolean isLoopback(String bind, ConfigView http) {
    try {
      return InetAddress.getByName(bind).isLoopbackAddress();
    } catch (UnknownHostException e) {
      http.problem("bind", "\"" + bind + "\"", "an IP address or resolvable host name");
      return true;
    }
  }
}
