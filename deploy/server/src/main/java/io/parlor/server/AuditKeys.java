package io.parlor.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.core.keys.LogSigner;
import io.parlor.core.keys.MerkleTree;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code parlor audit-keys URL [--state FILE] [--signing-key BASE64] [--head FILE]...}: audits a
 * node's key log over time. Pins the log's signing key (given, from the state, or on first use),
 * fetches the signed tree head, checks that it extends the head verified last time (a consistency
 * proof, kept in the state file) and every head given with {@code --head} — heads another network
 * was shown (gossip) — and saves the new head. Exit 0: one log, only appended to; 1: the log
 * misbehaved (a head not signed by the pinned key, a changed signing key, a log that went back,
 * two heads no consistency proof joins: a fork); 2: it could not be checked (usage, unreachable).
 */
public final class AuditKeys {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  private AuditKeys() {}

  /** Something that stops the audit: {@code code} 1 for misbehaviour, 2 for cannot-check. */
  private static final class Stop extends Exception {
    private static final long serialVersionUID = 1L;
    final int code;
    /** The HTTP status that stopped it, or 0. */
    final int http;

    Stop(int code, String message) {
      this(code, message, 0);
    }

    Stop(int code, String message, int http) {
      super(message);
      this.code = code;
      this.http = http;
    }
  }

  /** Runs {@code audit-keys} ({@code args[0]} is the command's name); answers the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    String url = null;
    Path state = Path.of("parlor-key-audit.json");
    String pinned = null;
    List<Path> heads = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--state") && i + 1 < args.length) {
        state = Path.of(args[++i]);
      } else if (a.equals("--signing-key") && i + 1 < args.length) {
        pinned = args[++i];
      } else if (a.equals("--head") && i + 1 < args.length) {
        heads.add(Path.of(args[++i]));
      } else if (url == null && !a.startsWith("-")) {
        url = a.endsWith("/") ? a.substring(0, a.length() - 1) : a;
      } else {
        err.println("audit-keys: unknown argument: " + a);
        err.println(Main.USAGE);
        return 2;
      }
    }
    if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
      err.println("audit-keys: URL: the node's base URL, e.g. https://parlor.example.net");
      return 2;
    }
    try {
      audit(url, state, pinned, heads, out);
      return 0;
    } catch (Stop s) {
      err.println((s.code == 1 ? "audit-keys: LOG MISBEHAVED: " : "audit-keys: cannot check: ") + s.getMessage());
      return s.code;
    }
  }

  private static void audit(String url, Path statePath, String pinnedArg, List<Path> heads, PrintStream out)
      throws Stop {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    JsonNode state = Files.exists(statePath) ? readJson(statePath) : null;
    if (state != null && !url.equals(state.path("url").asText())) {
      throw new Stop(2, statePath + " audits " + state.path("url").asText() + ", not " + url
          + " (one state file per log: --state)");
    }
    // the signing key: pinned by the operator, by the last run, or on first use
    byte[] served = b64(get(http, url + "/v1/keys/signing-key"), "publicKey");
    if (state != null && pinnedArg == null && state.path("signingKey").asText().isEmpty()) {
      throw new Stop(2, statePath + ": signingKey: missing (not a state file of audit-keys?)");
    }
    byte[] pinned = pinnedArg != null ? decodeKey(pinnedArg)
        : state != null ? b64(state, "signingKey") : null;
    if (pinned == null) {
      pinned = served;
      out.println("pinned the log's signing key " + LogSigner.keyId(served) + " (first use; compare it with the"
          + " operator's published key)");
    } else if (!java.security.MessageDigest.isEqual(pinned, served)) {
      throw new Stop(1, "the log's signing key changed: pinned " + LogSigner.keyId(pinned) + ", served "
          + LogSigner.keyId(served));
    }
    LogSigner.TreeHead now = head(get(http, url + "/v1/keys/tree-head"), "the node's tree head");
    if (!LogSigner.verify(pinned, now)) {
      throw new Stop(1, "the node's tree head (" + now.treeSize() + " entries) is not signed by the pinned key");
    }
    List<String> checked = new ArrayList<>();
    if (state != null && state.has("treeSize")) {
      LogSigner.TreeHead before = head(state, statePath.toString());
      join(http, url, before, now, "the head verified last time (" + Instant.ofEpochMilli(before.timestamp()) + ")");
      checked.add("the head of " + before.treeSize() + " entries verified last time");
    }
    for (Path p : heads) {
      LogSigner.TreeHead other = head(readJson(p), p.toString());
      if (!LogSigner.verify(pinned, other)) {
        throw new Stop(1, p + ": that head is not signed by the log's key (not evidence of anything)");
      }
      join(http, url, other, now, "the head in " + p);
      checked.add("the head of " + other.treeSize() + " entries in " + p);
    }
    save(statePath, url, pinned, now);
    out.println("key log " + url + ": " + now.treeSize() + " entries, root " + HEX.formatHex(now.rootHash())
        + ", signed by " + LogSigner.keyId(pinned));
    out.println(checked.isEmpty() ? "first head recorded in " + statePath
        : "consistent with " + String.join(", ", checked));
  }

  /** Checks that {@code a} and {@code now} are heads of one log (a consistency proof joins them). */
  private static void join(HttpClient http, String url, LogSigner.TreeHead a, LogSigner.TreeHead now, String what)
      throws Stop {
    if (a.treeSize() == now.treeSize()) {
      if (!java.security.MessageDigest.isEqual(a.rootHash(), now.rootHash())) {
        throw new Stop(1, "fork: " + what + " and the node's head both have " + a.treeSize()
            + " entries, signed, with different roots (" + HEX.formatHex(a.rootHash()) + " and "
            + HEX.formatHex(now.rootHash()) + "): the node showed two different logs");
      }
      return;
    }
    LogSigner.TreeHead small = a.treeSize() < now.treeSize() ? a : now;
    LogSigner.TreeHead large = small == a ? now : a;
    if (small.treeSize() == 0) {
      return;
    }
    JsonNode proof;
    try {
      proof = get(http, url + "/v1/keys/consistency?first=" + small.treeSize() + "&second=" + large.treeSize());
    } catch (Stop s) {
      if (s.code == 2 && large == a) {
        throw new Stop(1, "fork: " + what + " has " + a.treeSize() + " entries, signed, and the node has only "
            + now.treeSize() + " and cannot prove it extends to it (" + s.getMessage() + ")");
      }
      if (s.http == 400) {
        // both sizes are within the head the node just signed: it can always prove this
        throw new Stop(1, "the node refuses to prove that its head of " + now.treeSize() + " entries extends "
            + what + " (" + s.getMessage() + ")");
      }
      throw s;
    }
    List<byte[]> path = new ArrayList<>();
    for (JsonNode h : proof.path("proof")) {
      path.add(hex(h.asText(), "proof"));
    }
    if (!MerkleTree.verifyConsistency(small.treeSize(), large.treeSize(), small.rootHash(), large.rootHash(), path)) {
      throw new Stop(1, "fork: " + what + " (" + a.treeSize() + " entries) and the node's head (" + now.treeSize()
          + " entries) are not one log: the consistency proof the node gives does not verify");
    }
  }

  private static JsonNode get(HttpClient http, String url) throws Stop {
    HttpResponse<String> r;
    try {
      r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new Stop(2, url + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Stop(2, url + ": interrupted");
    }
    if (r.statusCode() != 200) {
      throw new Stop(2, url + ": HTTP " + r.statusCode() + " " + r.body(), r.statusCode());
    }
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new Stop(2, url + ": not JSON");
    }
  }

  private static JsonNode readJson(Path p) throws Stop {
    try {
      return JSON.readTree(Files.readString(p));
    } catch (IOException e) {
      throw new Stop(2, p + ": cannot be read as JSON (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static LogSigner.TreeHead head(JsonNode n, String where) throws Stop {
    if (!n.path("treeSize").canConvertToLong() || n.path("treeSize").asLong() < 0
        || !n.path("timestamp").canConvertToLong()) {
      throw new Stop(2, where + ": treeSize and timestamp: must be integers");
    }
    return new LogSigner.TreeHead(n.path("treeSize").asLong(), hex(n.path("rootHash").asText(), where + ": rootHash"),
        n.path("timestamp").asLong(), b64(n, "signature"));
  }

  private static void save(Path p, String url, byte[] key, LogSigner.TreeHead h) throws Stop {
    ObjectNode o = JSON.createObjectNode();
    o.put("url", url);
    o.put("signingKey", Base64.getEncoder().encodeToString(key));
    o.put("treeSize", h.treeSize());
    o.put("rootHash", HEX.formatHex(h.rootHash()));
    o.put("timestamp", h.timestamp());
    o.put("signature", Base64.getEncoder().encodeToString(h.signature()));
    try {
      Path tmp = p.toAbsolutePath().resolveSibling(p.getFileName() + ".tmp");
      Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
      Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new Stop(2, p + ": cannot be written (" + e.getMessage() + ")");
    }
  }

  private static byte[] decodeKey(String b64) throws Stop {
    try {
      byte[] k = Base64.getDecoder().decode(b64.strip());
      if (k.length == LogSigner.KEY_BYTES) {
        return k;
      }
    } catch (IllegalArgumentException e) {
      // below
    }
    throw new Stop(2, "--signing-key: the log's Ed25519 public key, 32 bytes in standard base64");
  }

  private static byte[] b64(JsonNode n, String field) throws Stop {
    try {
      return Base64.getDecoder().decode(n.path(field).asText());
    } catch (IllegalArgumentException e) {
      throw new Stop(2, field + ": not base64");
    }
  }

  private static byte[] hex(String s, String field) throws Stop {
    try {
      byte[] b = HEX.parseHex(s);
      if (b.length == 32) {
        return b;
      }
    } catch (IllegalArgumentException e) {
      // below
    }
    throw new Stop(2, field + ": not a 32-byte hex hash");
  }
}
