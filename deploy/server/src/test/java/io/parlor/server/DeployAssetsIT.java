package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.adapter.webhook.Signatures;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: what operators deploy with (deploy/docker, compose.yaml, systemd, kubernetes,
 * monitoring) parses, holds the hardening it promises, its configs pass check-config, and every
 * metric the dashboard and the alert rules use exists on the /metrics of a running node.
 */
class DeployAssetsIT {
  private static final Path DEPLOY = Path.of("..");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Map<String, String> ENV = Map.of(
      "PARLOR_ADMIN_TOKEN", "a-real-admin-token-0123456789", "CHATAPP_SECRET", "a-real-chatapp-secret-0001");

  @TempDir Path dir;

  private static List<JsonNode> yamlDocuments(Path f) throws Exception {
    List<JsonNode> docs = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).readValues(Files.readString(f))) {
      while (it.hasNext()) {
        docs.add((JsonNode) it.next());
      }
    }
    return docs;
  }

  private static JsonNode kind(List<JsonNode> docs, String kind) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind));
  }

  private void configLoads(String yaml, String what) throws Exception {
    Path f = dir.resolve("cfg-" + what + ".yaml");
    Files.writeString(f, yaml);
    ConfigLoader.Result r = new ConfigLoader(ENV, Main.providers()).load(f);
    assertTrue(r.ok(), what + ": " + r.problems());
  }

  @Test
  void imagesUnitsAndManifestsParseAndAreHardened() throws Exception {
    String dockerfile = Files.readString(DEPLOY.resolve("docker/Dockerfile"));
    assertEquals(2, dockerfile.lines().filter(l -> l.startsWith("FROM ")).count(), "multi-stage");
    assertTrue(dockerfile.lines().anyMatch(l -> l.equals("USER parlor")), "runs as a user, not root");
    assertTrue(dockerfile.contains("HEALTHCHECK") && dockerfile.contains("/healthz"), "a health check");
    configLoads(Files.readString(DEPLOY.resolve("docker/parlor.yaml")), "docker");

    JsonNode compose = yamlDocuments(DEPLOY.resolve("compose.yaml")).get(0);
    JsonNode service = compose.path("services").path("parlor");
    assertEquals("deploy/docker/Dockerfile", service.path("build").path("dockerfile").asText());
    assertTrue(service.path("read_only").asBoolean() && service.path("cap_drop").toString().contains("ALL"), service.toString());

    String unit = Files.readString(DEPLOY.resolve("systemd/parlor.service"));
    for (String line : List.of("User=parlor", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/parlor",
        "KillSignal=SIGTERM", "UMask=0077")) {
      assertTrue(unit.lines().anyMatch(line::equals), "systemd unit: " + line);
    }

    List<JsonNode> k8s = yamlDocuments(DEPLOY.resolve("kubernetes/parlor.yaml"));
    configLoads(kind(k8s, "ConfigMap").path("data").path("parlor.yaml").asText(), "configmap");
    JsonNode pod = kind(k8s, "StatefulSet").path("spec").path("template");
    assertEquals("true", pod.path("metadata").path("annotations").path("prometheus.io/scrape").asText());
    assertTrue(pod.path("spec").path("securityContext").path("runAsNonRoot").asBoolean());
    JsonNode container = pod.path("spec").path("containers").get(0);
    assertEquals("/healthz", container.path("livenessProbe").path("httpGet").path("path").asText());
    assertEquals("/readyz", container.path("readinessProbe").path("httpGet").path("path").asText());
    assertTrue(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean());
    assertTrue(!container.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true));
    assertEquals("parlor-secrets", container.path("envFrom").get(0).path("secretRef").path("name").asText());
    assertEquals(1, kind(k8s, "StatefulSet").path("spec").path("volumeClaimTemplates").size(), "the store on a volume");
    kind(k8s, "Service");
  }

  /** Every {@code parlor_*} series an expression reads. */
  private static Set<String> metricsIn(String expr) {
    Set<String> out = new TreeSet<>();
    Matcher m = Pattern.compile("\\bparlor_[a-z_]+").matcher(expr);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  @Test
  void everyMetricTheDashboardAndAlertsUseExistsOnARunningNode() throws Exception {
    Set<String> used = new TreeSet<>();
    for (JsonNode group : yamlDocuments(DEPLOY.resolve("monitoring/alerts.yaml")).get(0).path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        assertTrue(rule.hasNonNull("alert") && rule.hasNonNull("expr"), rule.toString());
        used.addAll(metricsIn(rule.path("expr").asText()));
      }
    }
    JsonNode dashboard = new ObjectMapper().readTree(DEPLOY.resolve("monitoring/grafana-dashboard.json").toFile());
    assertTrue(dashboard.path("panels").size() >= 6, "panels");
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode t : panel.path("targets")) {
        used.addAll(metricsIn(t.path("expr").asText()));
      }
    }
    assertTrue(used.size() >= 10, "metrics used: " + used);

    // a node with one network up and one down, after a little traffic
    WireMockServer up = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    WireMockServer down = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    up.start();
    down.start();
    up.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    down.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    Path cfg = dir.resolve("node.yaml");
    Files.writeString(cfg, String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("node.db"),
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S",
        "networks:",
        "  - id: up", "    type: webhook", "    secret: up-secret-0123456789", "    deliveryUrl: " + up.baseUrl() + "/messages",
        "  - id: down", "    type: webhook", "    secret: down-secret-0123456789", "    deliveryUrl: " + down.baseUrl() + "/messages",
        ""));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), Main.providers()).load(cfg);
    assertTrue(r.ok(), r.problems().toString());
    HttpClient http = HttpClient.newHttpClient();
    try (Gateway node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC())) {
      for (String[] p : new String[][] {{"u", "up:u"}, {"d", "down:d"}}) {
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/admin/v1/people/" + p[0]))
            .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"" + p[1] + "\"],\"optIn\":true,\"reachableBy\":\"everyone\"}"))
            .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      }
      for (String[] m : new String[][] {{"down", "down-secret-0123456789", "down:x", "up:u"}, {"up", "up-secret-0123456789", "up:x", "down:d"}}) {
        byte[] body = ("{\"id\":\"m-" + m[0] + "\",\"from\":\"" + m[2] + "\",\"to\":\"" + m[3] + "\",\"sentAt\":\""
            + Instant.now() + "\",\"content\":{\"type\":\"text\",\"text\":\"hi\"}}").getBytes(StandardCharsets.UTF_8);
        assertEquals(202, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/v1/networks/" + m[0] + "/messages"))
            .header("Parlor-Signature", new Signatures(m[1]).sign(body, Instant.now()))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
      }
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while ((up.findAll(postRequestedFor(urlEqualTo("/messages"))).isEmpty()
          || down.findAll(postRequestedFor(urlEqualTo("/messages"))).size() < 2) && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      List<String> missing = new ArrayList<>();
      for (String name : used) {
        if (metrics.lines().noneMatch(l -> l.startsWith(name + "{") || l.startsWith(name + " "))) {
          missing.add(name);
        }
      }
      assertTrue(missing.isEmpty(), "used by the dashboard or alerts but not on /metrics: " + missing);
    } finally {
      up.stop();
      down.stop();
    }
  }
}
