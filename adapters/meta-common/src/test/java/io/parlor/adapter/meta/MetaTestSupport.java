package io.parlor.adapter.meta;

import io.parlor.spi.AdapterContext;
import io.parlor.spi.Health;
import io.parlor.spi.InboundSink;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.http.HttpRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Fakes and fixtures shared by the tests of this module and of the Meta adapters (through this
 * module's test-jar). Fixtures load from {@code /fixtures/} on the test class path, so each
 * adapter's tests find their own.
 */
public final class MetaTestSupport {
  public static final String APP_SECRET = "test-app-secret-0123456789";
  public static final String VERIFY_TOKEN = "verify-token-42";
  public static final String ACCESS_TOKEN = "EAAG-test-access-token-do-not-log";

  private MetaTestSupport() {}

  public static byte[] fixture(String name) {
    try (InputStream in = MetaTestSupport.class.getResourceAsStream("/fixtures/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String fixtureText(String name) {
    return new String(fixture(name), StandardCharsets.UTF_8);
  }

  public static HttpRequest post(String path, byte[] body, Map<String, List<String>> headers) {
    return new HttpRequest("POST", path, Map.of(), headers, body);
  }

  public static HttpRequest signedPost(String path, byte[] body) {
    String sig = new HubSignature(APP_SECRET).sign(body);
    return post(path, body, Map.of(HubSignature.HEADER, List.of(sig)));
  }

  public static HttpRequest get(String path, Map<String, List<String>> query) {
    return new HttpRequest("GET", path, query, Map.of(), new byte[0]);
  }

  /** A clock the test moves by hand. */
  public static final class FakeClock extends Clock {
    private volatile Instant now;

    public FakeClock(Instant start) {
      this.now = start;
    }

    public void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  /** Records what the adapter hands over; answers with {@code answer}. */
  public static final class FakeSink implements InboundSink {
    public final List<Envelope> received = new CopyOnWriteArrayList<>();
    private volatile Function<Envelope, CompletionStage<IngressResult>> answer =
        e -> CompletableFuture.completedFuture(new IngressResult.Accepted("g-" + e.id().value()));

    public void answer(Function<Envelope, CompletionStage<IngressResult>> a) {
      this.answer = a;
    }

    @Override
    public CompletionStage<IngressResult> accept(Envelope envelope) {
      received.add(envelope);
      return answer.apply(envelope);
    }
  }

  /** Records health transitions. */
  public static final class Healths implements AdapterContext.HealthListener {
    public final List<Health> seen = new CopyOnWriteArrayList<>();

    @Override
    public void onHealth(NetworkId network, Health health) {
      seen.add(health);
    }
  }
}
