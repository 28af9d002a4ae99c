package io.parlor.spi.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Turns valid JSON documents into hostile ones, reproducibly (a seeded {@link Random}): structural
 * mutations of the tree — a value replaced by one of another type or a hostile one, a field
 * removed or added, a node duplicated or nested deeper — and, now and then, byte-level damage to
 * the serialized text (a flipped byte, a cut, a stray character, a duplicated key). For property
 * tests of every parser of network input: whatever comes in, the answer is a named refusal, never
 * a crash. Not thread-safe (one per test).
 */
public final class JsonMutator {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final String[] WORDS = {
    "text", "encrypted", "media", "reaction", "edit", "delete", "location", "read", "typing", "image", "voice",
    "file", "sticker", "on", "off", "https://example.org/x", "http://127.0.0.1:1/x", "ftp://x/y", "javascript:alert(1)",
    "neta:alice", "~abcd1234", "@bob", "g-0000", "m-1", "", " ", "\u0000", "\u202e", "\uD83D\uDC4D", "\uD800",
    "2026-11-29T10:00:00Z", "not-a-date", "9999-12-31T23:59:59Z", "image/jpeg", "a".repeat(300), "0".repeat(64),
    "x25519-aesgcm-v1", "AAEC", "!!!", "null", "true", "{}", "[]", "sha256:abc", "%00", "../../etc/passwd"
  };

  private final Random random;

  public JsonMutator(long seed) {
    this.random = new Random(seed);
  }

  /** A mutant of {@code valid}: 1-4 tree mutations, sometimes then byte-level damage. */
  public byte[] mutate(JsonNode valid) {
    JsonNode copy = valid.deepCopy();
    int n = 1 + random.nextInt(4);
    for (int i = 0; i < n; i++) {
      copy = mutateTree(copy);
    }
    byte[] bytes;
    try {
      bytes = MAPPER.writeValueAsBytes(copy);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return random.nextInt(6) == 0 ? damage(bytes) : bytes;
  }

  private JsonNode mutateTree(JsonNode root) {
    List<JsonNode> containers = new ArrayList<>();
    collect(root, containers);
    JsonNode target = containers.get(random.nextInt(containers.size()));
    if (target instanceof ObjectNode o) {
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      int op = random.nextInt(5);
      if (names.isEmpty() || op == 0) {
        o.set(random.nextBoolean() ? word() : names.isEmpty() ? "x" : names.get(0) + "x", value(0));
      } else if (op == 1) {
        o.remove(names.get(random.nextInt(names.size())));
      } else if (op == 2) {
        String name = names.get(random.nextInt(names.size()));
        o.set(name, nest(o.get(name)));
      } else {
        o.set(names.get(random.nextInt(names.size())), value(0));
      }
    } else if (target instanceof ArrayNode a) {
      if (a.isEmpty() || random.nextBoolean()) {
        a.add(value(0));
      } else {
        a.set(random.nextInt(a.size()), value(0));
      }
    }
    return root;
  }

  private static void collect(JsonNode n, List<JsonNode> out) {
    if (n.isContainerNode()) {
      out.add(n);
      n.elements().forEachRemaining(c -> collect(c, out));
    }
  }

  private JsonNode nest(JsonNode n) {
    ArrayNode a = F.arrayNode();
    a.add(n);
    return random.nextBoolean() ? a : F.objectNode().set("v", n);
  }

  private String word() {
    return WORDS[random.nextInt(WORDS.length)];
  }

  /** A value of a random type, some of them hostile. */
  private JsonNode value(int depth) {
    switch (random.nextInt(depth > 2 ? 9 : 11)) {
      case 0:
        return F.nullNode();
      case 1:
        return F.booleanNode(random.nextBoolean());
      case 2:
        return F.numberNode(random.nextInt(7) - 3);
      case 3:
        return F.numberNode(random.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE);
      case 4:
        return F.numberNode(random.nextBoolean() ? 1e308 * 10 : -0.0);
      case 5:
        return F.numberNode(new java.math.BigInteger("123456789012345678901234567890"));
      case 6:
      case 7:
        return F.textNode(word());
      case 8:
        return F.textNode(randomString());
      case 9:
        ArrayNode a = F.arrayNode();
        for (int i = random.nextInt(3); i > 0; i--) {
          a.add(value(depth + 1));
        }
        return a;
      default:
        ObjectNode o = F.objectNode();
        for (int i = random.nextInt(3); i > 0; i--) {
          o.set(word(), value(depth + 1));
        }
        return o;
    }
  }

  private String randomString() {
    StringBuilder b = new StringBuilder();
    for (int i = random.nextInt(40); i > 0; i--) {
      b.appendCodePoint(random.nextInt(4) == 0 ? random.nextInt(0x110000) : 0x20 + random.nextInt(0x5f));
    }
    return b.toString().replaceAll("[\uD800-\uDFFF]", "?");
  }

  /** Byte-level damage: a flipped byte, a cut, an inserted character, a duplicated key. */
  private byte[] damage(byte[] b) {
    switch (random.nextInt(4)) {
      case 0:
        byte[] f = b.clone();
        f[random.nextInt(f.length)] ^= (byte) (1 << random.nextInt(8));
        return f;
      case 1:
        return java.util.Arrays.copyOf(b, random.nextInt(b.length));
      case 2:
        String s = new String(b, StandardCharsets.UTF_8);
        int at = random.nextInt(s.length() + 1);
        return (s.substring(0, at) + "\",}]{\\".charAt(random.nextInt(6)) + s.substring(at)).getBytes(StandardCharsets.UTF_8);
      default:
        String t = new String(b, StandardCharsets.UTF_8);
        return t.startsWith("{") ? ("{\"id\":\"dup\"," + t.substring(1)).getBytes(StandardCharsets.UTF_8) : b;
    }
  }

  /** Parses a JSON literal (tests' seeds). */
  public static JsonNode json(String s) {
    try {
      return MAPPER.readTree(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
