package io.parlor.spi.config;

import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A view over one section of the YAML config (plain maps, lists and scalars) that reads typed
 * values, collects every problem with its path instead of stopping at the first, and reports keys
 * nobody read as unknown. Not thread-safe: used once, at startup.
 *
 * <pre>{@code
 * String url = view.string("deliveryUrl");           // required
 * int max = view.integer("maxTextLength", 4096, 1, 65536);
 * view.reportUnknownKeys();
 * }</pre>
 */
public final class ConfigView {
  private static final String MISSING = "<missing>";
  private static final String REDACTED = "<redacted>";

  private final String path;
  private final Map<String, Object> values;
  private final List<ConfigProblem> problems;
  private final Set<String> read = new HashSet<>();

  private ConfigView(String path, Map<String, Object> values, List<ConfigProblem> problems) {
    this.path = path;
    this.values = values;
    this.problems = problems;
  }

  /** A root view; problems of every child view are collected in {@code problems}. */
  public static ConfigView root(Map<String, Object> values, List<ConfigProblem> problems) {
    return new ConfigView("", new LinkedHashMap<>(values), problems);
  }

  public String path() {
    return path;
  }

  public String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public boolean has(String key) {
    return values.containsKey(key) && values.get(key) != null;
  }

  /** Records a problem for {@code key} (marks the key as read). */
  public void problem(String key, String value, String expected) {
    read.add(key);
    problems.add(new ConfigProblem(pathOf(key), value, expected));
  }

  public List<ConfigProblem> problems() {
    return problems;
  }

  public Optional<String> optString(String key) {
    return scalar(key, false);
  }

  /** A required non-empty string. */
  public String string(String key) {
    return required(key, scalar(key, false));
  }

  public String string(String key, String defaultValue) {
    return scalar(key, false).orElse(defaultValue);
  }

  /** A required secret: its value is never printed in problems. */
  public String secret(String key) {
    return required(key, scalar(key, true));
  }

  public Optional<String> optSecret(String key) {
    return scalar(key, true);
  }

  /** One of {@code allowed}, compared exactly. */
  public String oneOf(String key, String defaultValue, List<String> allowed) {
    Optional<String> v = scalar(key, false);
    if (v.isEmpty()) {
      return defaultValue;
    }
    if (!allowed.contains(v.get())) {
      problem(key, quote(v.get()), "one of " + allowed);
      return defaultValue;
    }
    return v.get();
  }

  public int integer(String key, int defaultValue, int min, int max) {
    Optional<String> v = scalar(key, false);
    if (v.isEmpty()) {
      return defaultValue;
    }
    try {
      int i = Integer.parseInt(v.get().trim());
      if (i < min || i > max) {
        problem(key, v.get(), "an integer between " + min + " and " + max);
        return defaultValue;
      }
      return i;
    } catch (NumberFormatException e) {
      problem(key, quote(v.get()), "an integer between " + min + " and " + max);
      return defaultValue;
    }
  }

  public boolean bool(String key, boolean defaultValue) {
    Optional<String> v = scalar(key, false);
    if (v.isEmpty()) {
      return defaultValue;
    }
    switch (v.get()) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        problem(key, quote(v.get()), "true or false");
        return defaultValue;
    }
  }

  /** An ISO-8601 duration such as {@code PT30S} or {@code P7D}, between min and max. */
  public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
    Optional<String> v = scalar(key, false);
    if (v.isEmpty()) {
      return defaultValue;
    }
    // the example is a value this key accepts (its default), not a generic one that may be out of range
    Duration example = defaultValue != null && defaultValue.compareTo(min) >= 0 && defaultValue.compareTo(max) <= 0
        ? defaultValue : min;
    String expected = "an ISO-8601 duration between " + iso(min) + " and " + iso(max) + " (e.g. " + iso(example) + ")";
    try {
      Duration d = Duration.parse(v.get().trim());
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        problem(key, v.get(), expected);
        return defaultValue;
      }
      return d;
    } catch (DateTimeParseException e) {
      problem(key, quote(v.get()), expected);
      return defaultValue;
    }
  }

  /** {@code P7D} rather than {@code PT168H}: how people write whole days. */
  static String iso(Duration d) {
    return !d.isZero() && d.toSeconds() % 86_400 == 0 && d.toNanosPart() == 0 ? "P" + d.toDays() + "D" : d.toString();
  }

  /** An absolute http or https URL. */
  public Optional<URI> optUrl(String key) {
    Optional<String> v = scalar(key, false);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    try {
      URI uri = new URI(v.get().trim());
      String scheme = uri.getScheme();
      if (uri.getHost() == null || !("http".equals(scheme) || "https".equals(scheme))) {
        problem(key, quote(v.get()), "an absolute http:// or https:// URL");
        return Optional.empty();
      }
      return Optional.of(uri);
    } catch (java.net.URISyntaxException e) {
      problem(key, quote(v.get()), "an absolute http:// or https:// URL");
      return Optional.empty();
    }
  }

  public URI url(String key) {
    if (!has(key)) {
      problem(key, MISSING, "an absolute http:// or https:// URL (required)");
      return null;
    }
    return optUrl(key).orElse(null);
  }

  public List<String> stringList(String key, List<String> defaultValue) {
    read.add(key);
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof List<?> list)) {
      problem(key, String.valueOf(v), "a list of strings");
      return defaultValue;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      Object item = list.get(i);
      if (item instanceof Map || item instanceof List || item == null) {
        problems.add(new ConfigProblem(pathOf(key) + "[" + i + "]", String.valueOf(item), "a string"));
      } else {
        out.add(String.valueOf(item));
      }
    }
    return List.copyOf(out);
  }

  /** A nested section; empty when absent (a wrong type is reported). */
  public Optional<ConfigView> child(String key) {
    read.add(key);
    Object v = values.get(key);
    if (v == null) {
      return Optional.empty();
    }
    if (!(v instanceof Map<?, ?> m)) {
      problem(key, String.valueOf(v), "a section (key: value pairs)");
      return Optional.empty();
    }
    return Optional.of(new ConfigView(pathOf(key), castMap(m), problems));
  }

  /** A list of sections, e.g. {@code networks}. */
  public List<ConfigView> children(String key) {
    read.add(key);
    Object v = values.get(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> list)) {
      problem(key, String.valueOf(v), "a list of sections");
      return List.of();
    }
    List<ConfigView> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String p = pathOf(key) + "[" + i + "]";
      if (list.get(i) instanceof Map<?, ?> m) {
        out.add(new ConfigView(p, castMap(m), problems));
      } else {
        problems.add(new ConfigProblem(p, String.valueOf(list.get(i)), "a section (key: value pairs)"));
      }
    }
    return out;
  }

  /** Reports every key of this section that no getter read. Call after reading the section. */
  public void reportUnknownKeys() {
    for (String key : values.keySet()) {
      if (!read.contains(key)) {
        problems.add(new ConfigProblem(pathOf(key), "<unknown key>", "no such setting here"));
      }
    }
  }

  /** Marks keys as read without reading them (e.g. keys handled by the caller). */
  public void markRead(String... keys) {
    read.addAll(List.of(keys));
  }

  private Optional<String> scalar(String key, boolean secret) {
    read.add(key);
    Object v = values.get(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof Map || v instanceof List) {
      problem(key, secret ? REDACTED : String.valueOf(v), "a single value");
      return Optional.empty();
    }
    String s = String.valueOf(v);
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  private String required(String key, Optional<String> v) {
    if (v.isEmpty()) {
      if (!problems.stream().anyMatch(p -> p.path().equals(pathOf(key)))) {
        problem(key, MISSING, "a non-empty value (required)");
      }
      return null;
    }
    return v.get();
  }

  /** {@code s} in double quotes, as problems show a value. */
  public static String quote(String s) {
    return "\"" + s + "\"";
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, val) -> out.put(String.valueOf(k), val));
    return out;
  }
}
