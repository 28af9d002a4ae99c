package io.parlor.spi.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.EnvelopeException;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.Timer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The canonical envelope's JSON form (contract section 3.1). Thread-safe.
 *
 * <p>Reading validates every field and throws {@link EnvelopeException} naming the first bad
 * field; malformed JSON, including byte sequences that are not valid UTF-8, is reported as field
 * {@code body}. Unknown fields are ignored so that senders may add fields in later versions.
 * Version 2 ({@code "v": 2}, contract part 2) adds the content kinds of {@link ContentJson} and
 * {@code fromName}, and on deliveries {@code group} and {@code system} (section 5; ignored when a
 * network sends them: a network addresses a group through {@code to}); writing adds {@code "v": 2}
 * exactly when an envelope uses them.
 *
 * <pre>{@code
 * Envelope e = EnvelopeJson.read(bytes);
 * byte[] out = EnvelopeJson.write(e);
 * }</pre>
 */
public final class EnvelopeJson {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          // "{...} garbage" is not a JSON value: refused, not read up to the first value
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private EnvelopeJson() {}

  /** The shared, configured mapper (thread-safe). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Parses and validates an envelope a network sent, from raw JSON bytes. */
  public static Envelope read(byte[] json) {
    return fromTree(tree(json), false);
  }

  /**
   * Parses an envelope the store wrote with {@link #writeStored}: like {@link #read}, and also
   * media held by the source network ({@code content.source}).
   */
  public static Envelope readStored(byte[] json) {
    return fromTree(tree(json), true);
  }

  /** Parses raw JSON into an object node; malformed JSON is field {@code body}. */
  static JsonNode tree(byte[] json) {
    JsonNode root = readJson(json);
    if (root == null || !root.isObject()) {
      throw new EnvelopeException("body", "must be a JSON object");
    }
    return root;
  }

  /**
   * Reads a request body as JSON the way every Parlor API does (I-JSON, RFC 7493): UTF-8 only
   * (Jackson would otherwise guess UTF-16 or UTF-32 from the first bytes), one value with nothing
   * but whitespace after it, and no string or field name holding an unpaired surrogate (it cannot
   * be stored: two different ids would both become {@code ?} and collide). Every refusal names
   * the field ({@code body} for the whole) and the reason.
   *
   * @throws EnvelopeException when the body is not such JSON
   */
  public static JsonNode readJson(byte[] body) {
    return readJson(body, false);
  }

  /**
   * Like {@link #readJson(byte[])}, but with {@code repairUnicode} an unpaired surrogate is
   * replaced by U+FFFD instead of refused: for batches a platform sends (Meta webhooks), where one
   * bad string would otherwise get the whole batch refused, retried and finally dropped, losing
   * every message in it. (Their ids are ASCII; a lone surrogate can only be in text.)
   */
  public static JsonNode readJson(byte[] body, boolean repairUnicode) {
    String text = utf8(body);
    JsonNode root;
    try {
      root = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new EnvelopeException("body", "malformed JSON (" + location(e) + ")");
    }
    if (root == null || root.isMissingNode()) {
      throw new EnvelopeException("body", "must be a JSON value (it is empty)");
    }
    try {
      checkUnicode(root, "");
    } catch (EnvelopeException unpaired) {
      if (!repairUnicode) {
        throw unpaired;
      }
      return repair(root);
    }
    return root;
  }

  private static JsonNode repair(JsonNode n) {
    if (n.isTextual()) {
      return com.fasterxml.jackson.databind.node.TextNode.valueOf(repaired(n.textValue()));
    }
    if (n.isObject()) {
      ObjectNode out = MAPPER.createObjectNode();
      n.fields().forEachRemaining(f -> out.set(repaired(f.getKey()), repair(f.getValue())));
      return out;
    }
    if (n.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode out = MAPPER.createArrayNode();
      n.elements().forEachRemaining(e -> out.add(repair(e)));
      return out;
    }
    return n;
  }

  /** {@code s} with each unpaired surrogate replaced by U+FFFD. */
  static String repaired(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        b.append(c).append(s.charAt(++i));
      } else {
        b.append(Character.isSurrogate(c) ? '\uFFFD' : c);
      }
    }
    return b.toString();
  }

  private static String utf8(byte[] body) {
    for (byte b : body) {
      if (b == 0) {
        // no JSON text holds a NUL byte: UTF-16 or UTF-32 (or binary)
        throw new EnvelopeException("body", "must be UTF-8 (UTF-16 and UTF-32 are refused)");
      }
    }
    try {
      return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(body))
          .toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new EnvelopeException("body", "must be UTF-8 (an invalid byte sequence)");
    }
  }

  private static void checkUnicode(JsonNode n, String path) {
    if (n.isTextual()) {
      if (unpairedSurrogate(n.textValue())) {
        throw new EnvelopeException(path.isEmpty() ? "body" : path, "must be valid Unicode (an unpaired surrogate)");
      }
    } else if (n.isObject()) {
      for (java.util.Iterator<java.util.Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        java.util.Map.Entry<String, JsonNode> f = it.next();
        String at = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
        if (unpairedSurrogate(f.getKey())) {
          throw new EnvelopeException(path.isEmpty() ? "body" : path,
              "field names must be valid Unicode (an unpaired surrogate)");
        }
        checkUnicode(f.getValue(), at);
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        checkUnicode(n.get(i), (path.isEmpty() ? "body" : path) + "[" + i + "]");
      }
    }
  }

  /** Whether {@code s} holds a high surrogate not followed by a low one, or a low one alone. */
  static boolean unpairedSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return true;
        }
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** Validates an envelope a network sent, from an already parsed JSON object. */
  public static Envelope fromTree(JsonNode root) {
    return fromTree(root, false);
  }

  private static Envelope fromTree(JsonNode root, boolean stored) {
    int version = version(root);
    MessageId id = MessageId.parse("id", text(root, "id", true));
    Address from = Address.parse("from", text(root, "from", true));
    Address to = Address.parse("to", text(root, "to", true));
    Instant sentAt = instant("sentAt", text(root, "sentAt", true));
    Content content = ContentJson.read(root.get("content"), stored);
    if (version == 1 && root.has("v") && content.kind().v2()) {
      throw new EnvelopeException("v", "must be 2 for content type \"" + content.kind().wire() + "\"");
    }
    Timer timer = timer(root.get("timer"));
    String replyTo = text(root, "replyTo", false);
    String expiresAt = text(root, "expiresAt", false);
    JsonNode fallback = root.get("plaintextFallback");
    if (fallback != null && !fallback.isNull() && !fallback.isBoolean()) {
      throw new EnvelopeException("plaintextFallback", "must be true or false");
    }
    return new Envelope(
        id,
        from,
        to,
        sentAt,
        content,
        timer,
        replyTo == null ? null : MessageId.parse("replyTo", replyTo),
        expiresAt == null ? null : instant("expiresAt", expiresAt),
        fallback != null && fallback.booleanValue(),
        text(root, "fromName", false),
        stored ? group(root.get("group")) : null,
        stored && root.path("system").asBoolean(false));
  }

  /** A stored delivery's group (networks address a group through {@code to}; theirs is ignored). */
  private static Envelope.Group group(JsonNode g) {
    if (g == null || g.isNull()) {
      return null;
    }
    return new Envelope.Group(Address.parse("group.id", text(g, "group.id", "id", true)), text(g, "group.name", "name", true));
  }

  /** {@code v}: absent means 1; else 1 or 2. */
  private static int version(JsonNode root) {
    JsonNode v = root.get("v");
    if (v == null || v.isNull()) {
      return 1;
    }
    if (!v.isIntegralNumber() || (v.asLong() != 1 && v.asLong() != 2)) {
      throw new EnvelopeException("v", "must be 1 or 2");
    }
    return v.asInt();
  }

  /**
   * Serializes an envelope to UTF-8 JSON for a network. Media held by a network ({@code source})
   * is never sent: the core replaces it with a URL first.
   *
   * @throws IllegalArgumentException when the envelope still holds such media
   */
  public static byte[] write(Envelope e) {
    return bytes(toTree(e));
  }

  /** Serializes an envelope for the store: like {@link #write}, with held media's {@code source}. */
  public static byte[] writeStored(Envelope e) {
    return bytes(toTree(e, true));
  }

  private static byte[] bytes(ObjectNode n) {
    try {
      return MAPPER.writeValueAsBytes(n);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("cannot serialize envelope", ex);
    }
  }

  /** The envelope as a network sees it (see {@link #write}). */
  public static ObjectNode toTree(Envelope e) {
    return toTree(e, false);
  }

  private static ObjectNode toTree(Envelope e, boolean stored) {
    ObjectNode n = MAPPER.createObjectNode();
    if (e.version() == 2) {
      n.put("v", 2);
    }
    n.put("id", e.id().value());
    n.put("from", e.from().value());
    if (e.fromName() != null) {
      n.put("fromName", e.fromName());
    }
    n.put("to", e.to().value());
    n.put("sentAt", utc(e.sentAt()));
    n.set("content", ContentJson.write(e.content(), stored));
    if (e.timer() != null) {
      ObjectNode t = n.putObject("timer");
      t.put("seconds", e.timer().seconds());
      t.put("start", e.timer().start().wire());
    }
    if (e.replyTo() != null) {
      n.put("replyTo", e.replyTo().value());
    }
    if (e.expiresAt() != null) {
      n.put("expiresAt", utc(e.expiresAt()));
    }
    if (e.plaintextFallback()) {
      n.put("plaintextFallback", true);
    }
    if (e.group() != null) {
      ObjectNode g = n.putObject("group");
      g.put("id", e.group().id().value());
      g.put("name", e.group().name());
    }
    if (e.system()) {
      n.put("system", true);
    }
    return n;
  }

  private static Timer timer(JsonNode t) {
    if (t == null || t.isNull()) {
      return null;
    }
    if (!t.isObject()) {
      throw new EnvelopeException("timer", "must be an object");
    }
    JsonNode s = t.get("seconds");
    if (s == null || !s.canConvertToLong() || !s.isIntegralNumber()) {
      throw new EnvelopeException("timer.seconds", "must be a whole number of seconds");
    }
    String start = text(t, "timer.start", "start", false);
    Timer.Start st;
    if (start == null || start.equals("send")) {
      st = Timer.Start.SEND;
    } else if (start.equals("read")) {
      st = Timer.Start.READ;
    } else {
      throw new EnvelopeException("timer.start", "must be \"send\" or \"read\"");
    }
    return new Timer(s.asLong(), st);
  }

  static Instant instant(String field, String v) {
    Instant utc = utcInstant(v);
    if (utc != null) {
      return utc;
    }
    try {
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      throw new EnvelopeException(field, "must be an ISO-8601 timestamp with offset, e.g. 2026-11-29T10:00:00Z");
    }
  }

  /**
   * {@code t} as {@link Instant#toString} writes it ({@code yyyy-MM-ddTHH:mm:ss[.fff[fff[fff]]]Z}),
   * without {@code DateTimeFormatter} for the years 0000 to 9999 (every timestamp written on the
   * wire and in the store, and each status a network is told; the formatter was 0.7 % of a node's
   * CPU under load, issue 17); other years go to {@link Instant#toString}. Held to it in {@code
   * EnvelopeJsonTest#theQuickTimestampWritingAgreesWithInstantToString}.
   */
  public static String utc(Instant t) {
    long seconds = t.getEpochSecond();
    long days = Math.floorDiv(seconds, 86_400);
    if (days < MIN_DAY || days > MAX_DAY) {
      return t.toString();
    }
    java.time.LocalDate d = java.time.LocalDate.ofEpochDay(days);
    int secondOfDay = (int) Math.floorMod(seconds, 86_400);
    int nano = t.getNano();
    int digits = nano == 0 ? 0 : nano % 1_000_000 == 0 ? 3 : nano % 1_000 == 0 ? 6 : 9;
    char[] c = new char[20 + (digits == 0 ? 0 : digits + 1)];
    put(c, 0, d.getYear(), 4);
    c[4] = '-';
    put(c, 5, d.getMonthValue(), 2);
    c[7] = '-';
    put(c, 8, d.getDayOfMonth(), 2);
    c[10] = 'T';
    put(c, 11, secondOfDay / 3600, 2);
    c[13] = ':';
    put(c, 14, secondOfDay / 60 % 60, 2);
    c[16] = ':';
    put(c, 17, secondOfDay % 60, 2);
    if (digits > 0) {
      c[19] = '.';
      put(c, 20, nano / FRACTION_SCALE[digits], digits);
    }
    c[c.length - 1] = 'Z';
    return new String(c);
  }

  /** The first and last days {@link #utc} writes itself: 0000-01-01 and 9999-12-31. */
  private static final long MIN_DAY = java.time.LocalDate.of(0, 1, 1).toEpochDay();
  private static final long MAX_DAY = java.time.LocalDate.of(9999, 12, 31).toEpochDay();

  /** Writes {@code value} as {@code width} decimal digits, zero-padded, at {@code at}. */
  private static void put(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  private static final int[] FRACTION_SCALE = {0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1};

  /**
   * The common form of a timestamp, {@code yyyy-MM-ddTHH:mm:ss[.f…]Z} (what {@link Instant#toString}
   * writes), read without {@code DateTimeFormatter}, which was 1 % of a node's CPU under load
   * (issue 17); null for any other form and for any value outside the ranges the formatter
   * accepts, which {@link #instant} then leaves to the formatter to read or refuse. So it
   * accepts nothing the formatter refuses, and reads what it accepts to the same instant
   * ({@code EnvelopeJsonTest#theQuickTimestampReadingAgreesWithTheFormatter}).
   */
  static Instant utcInstant(String v) {
    int n = v.length();
    if (n < 20 || n > 30 || v.charAt(n - 1) != 'Z' || v.charAt(4) != '-' || v.charAt(7) != '-'
        || v.charAt(10) != 'T' || v.charAt(13) != ':' || v.charAt(16) != ':') {
      return null;
    }
    int year = digits(v, 0, 4);
    int month = digits(v, 5, 7);
    int day = digits(v, 8, 10);
    int hour = digits(v, 11, 13);
    int minute = digits(v, 14, 16);
    int second = digits(v, 17, 19);
    int nano = 0;
    if (n > 20) {
      int places = n - 21;
      if (v.charAt(19) != '.' || places < 1) {
        return null;
      }
      int fraction = digits(v, 20, n - 1);
      if (fraction < 0) {
        return null;
      }
      nano = fraction * FRACTION_SCALE[places];
    }
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
        || second < 0 || second > 59 || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
      return null;
    }
    long epochDay = java.time.LocalDate.of(year, month, day).toEpochDay();
    return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600 + minute * 60 + second, nano);
  }

  /** The ASCII digits of {@code v} from {@code from} to {@code to} as a number; -1 when one is not. */
  private static int digits(String v, int from, int to) {
    int x = 0;
    for (int i = from; i < to; i++) {
      char ch = v.charAt(i);
      if (ch < '0' || ch > '9') {
        return -1;
      }
      x = x * 10 + (ch - '0');
    }
    return x;
  }

  static String text(JsonNode n, String field, boolean required) {
    return text(n, field, field, required);
  }

  static String text(JsonNode n, String path, String field, boolean required) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new EnvelopeException(path, "is required");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw new EnvelopeException(path, "must be a string");
    }
    return v.textValue();
  }

  private static String location(JsonProcessingException e) {
    if (e.getLocation() == null) {
      return "syntax error";
    }
    return String.format(
        Locale.ROOT, "syntax error at line %d, column %d", e.getLocation().getLineNr(), e.getLocation().getColumnNr());
  }
}
