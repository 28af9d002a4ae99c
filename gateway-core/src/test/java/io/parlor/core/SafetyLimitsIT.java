package io.parlor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.core.config.ConfigLoader;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, items 4 and 5, on a clock under the test's control: a spammer writing to 500
 * strangers is held while a person writing to 150 friends who answer is never held; a {@code new}
 * network's senders are held sooner and rate limited harder than a {@code trusted} one's; a volume
 * limit refuses with when to retry, and recovers.
 */
class SafetyLimitsIT {
  private static final int PEOPLE = 500;
  @TempDir Path dir;
  final FakeNetworkProvider fakes = new FakeNetworkProvider();
  final TestClock clock = new TestClock();
  final AtomicInteger ids = new AtomicInteger();
  final HttpClient http = HttpClient.newHttpClient();
  Gateway node;

  @BeforeEach
  void start() throws Exception {
    Path file = dir.resolve("p.yaml");
    Files.writeString(file, TestNode.onTestStore(String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("p.db"),
        "networks:",
        "  - id: chat", "    type: fake",
        "  - id: fresh", "    type: fake", "    trust: new",
        "  - id: big", "    type: fake", "    trust: trusted",
        "")));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), List.of(fakes)).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), clock);
    admin("PUT", "/people/amy", "{\"accounts\":[\"chat:amy\"],\"optIn\":true,\"handle\":\"amy\"}");
    for (int i = 0; i < PEOPLE; i++) {
      admin("PUT", "/people/p" + i, "{\"accounts\":[\"chat:p" + i + "\"],\"optIn\":true}");
    }
  }

  @AfterEach
  void stop() {
    node.close(Duration.ofSeconds(1));
  }

  @Test
  void aSpammerWritingToStrangersIsHeldWhileAPersonWhoseFriendsAnswerIsNot() throws Exception {
    // amy writes to 150 people, more than the 100 the rule looks at, and each of them answers
    for (int i = 0; i < 150; i++) {
      assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:amy", "chat:p" + i), "amy to p" + i);
      assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:p" + i, "@amy"), "p" + i + " answers");
      clock.advance(Duration.ofSeconds(2)); // a person's pace: within every volume limit
    }
    // a spammer writes to all 500, nobody answers: the 101st stranger finds the spammer held
    int accepted = 0;
    IngressResult last = null;
    for (int i = 0; i < PEOPLE; i++) {
      last = send("chat", "chat:spam", "chat:p" + i);
      clock.advance(Duration.ofSeconds(2));
      if (!(last instanceof IngressResult.Accepted)) {
        break;
      }
      accepted++;
    }
    assertEquals(100, accepted);
    assertEquals(IngressResult.Refused.HELD_FOR_REVIEW, ((IngressResult.Refused) last).code());
    assertEquals(IngressResult.Refused.HELD_FOR_REVIEW,
        ((IngressResult.Refused) send("chat", "chat:spam", "chat:p0")).code(), "held for everyone, known or not");
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:amy", "chat:p200"), "amy is never held");
    JsonNode holds = TestNode.json(admin("GET", "/holds", null).body()).path("holds");
    assertEquals(1, holds.size(), holds.toString());
    assertEquals("fan_out", holds.get(0).path("reason").asText());
    assertEquals(100, holds.get(0).path("count").asInt());
    // linking the held account to a person escapes nothing: the account stays held
    admin("PUT", "/people/spam", "{\"accounts\":[\"chat:spam\"],\"optIn\":true}");
    assertEquals(IngressResult.Refused.HELD_FOR_REVIEW,
        ((IngressResult.Refused) send("chat", "chat:spam", "chat:p1")).code(), "held as the account");

    // released, the spammer starts afresh: only what they do from now on counts
    admin("POST", "/holds/" + holds.get(0).path("id").asText() + "/release", null);
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:spam", "chat:p499"));

    // a new network's sender is held four times sooner (a quarter of 100); a trusted one's is not
    int fromNew = 0;
    while (fromNew < PEOPLE && send("fresh", "fresh:bot", "chat:p" + fromNew) instanceof IngressResult.Accepted) {
      fromNew++;
      clock.advance(Duration.ofSeconds(4));
    }
    assertEquals(25, fromNew);
    for (int i = 0; i < 120; i++) {
      assertInstanceOf(IngressResult.Accepted.class, send("big", "big:bot", "chat:p" + i), "trusted, p" + i);
      clock.advance(Duration.ofMillis(250));
    }
  }

  @Test
  void aFloodIsRefusedWithWhenToRetryAndTheLimitRecovers() throws Exception {
    // a standard sender may send 120 at once (then one a second); a new network's a quarter of that
    int standard = 0;
    String firstId = "m-" + (ids.get() + 1);
    IngressResult r;
    while ((r = send("chat", "chat:amy", "chat:p" + (standard % 40))) instanceof IngressResult.Accepted && standard < 1000) {
      standard++;
    }
    assertInstanceOf(IngressResult.Refused.class, r, "a sender is limited");
    IngressResult.Refused refused = (IngressResult.Refused) r;
    assertEquals(IngressResult.Refused.RATE_LIMITED, refused.code());
    assertTrue(standard >= 60 && standard <= 120, "the pairs' 60 at once, spread over 40 recipients: " + standard);
    assertTrue(refused.retryAfter().compareTo(Duration.ofSeconds(3)) <= 0, refused.retryAfter().toString());
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:p1", "@amy"), "other senders are not slowed");
    // a redelivery of a message already accepted (a platform retrying its batch) is a duplicate,
    // never refused by the limit its own first delivery used up
    assertInstanceOf(IngressResult.Duplicate.class, send("chat", firstId, "chat:amy", "chat:p0"));
    clock.advance(refused.retryAfter());
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:amy", "chat:p300"), "recovered");

    int fresh = 0;
    while ((r = send("fresh", "fresh:bot", "chat:p" + (fresh % 5))) instanceof IngressResult.Accepted && fresh < 1000) {
      fresh++;
    }
    assertInstanceOf(IngressResult.Refused.class, r, "a new network's sender is limited");
    assertEquals(IngressResult.Refused.RATE_LIMITED, ((IngressResult.Refused) r).code());
    assertEquals(30, fresh, "a new network's sender: a quarter of 120 at once");
  }

  private IngressResult send(String network, String from, String to) {
    return send(network, "m-" + ids.incrementAndGet(), from, to);
  }

  private IngressResult send(String network, String id, String from, String to) {
    Envelope e = new Envelope(MessageId.of(id), Address.of(from), Address.of(to),
        clock.instant(), new Content.Text("hello"), null, null, null);
    return fakes.adapters.get(network).inject(e);
  }

  private HttpResponse<String> admin(String method, String path, String json) throws Exception {
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/admin/v1" + path))
            .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r;
  }
}
