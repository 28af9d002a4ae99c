package io.parlor.bench.jmh;

import io.parlor.adapter.webhook.Signatures;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.json.EnvelopeJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 17: what one message costs the node before the store, on one core — its 1 KB envelope
 * parsed and written back (the wire and the stored form), and its signature checked. Baseline in
 * the same run: a plain Jackson tree parse of the same bytes (what any JSON gateway pays).
 * {@code bench/run-jmh} (allocation per operation with {@code -prof gc}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MessageBench {
  private static final String SECRET = "bench-secret-000000000001";
  private byte[] body;
  private Envelope envelope;
  private String header;
  private Signatures signatures;
  private Instant now;
  private com.fasterxml.jackson.databind.ObjectMapper plain;
  private String text;

  @Setup
  public void setup() {
    now = Instant.now();
    body = ("{\"id\":\"m-000001\",\"from\":\"src:sender1\",\"to\":\"dst:user1\",\"sentAt\":\"" + now
        + "\",\"content\":{\"type\":\"text\",\"text\":\"" + "x".repeat(880) + "\"}}").getBytes(StandardCharsets.UTF_8);
    envelope = EnvelopeJson.read(body);
    signatures = new Signatures(SECRET);
    header = signatures.sign(body, now);
    plain = new com.fasterxml.jackson.databind.ObjectMapper();
    text = ("a few words of a message, " + "x".repeat(30) + "\n").repeat(30); // 1 KB over 30 lines
  }

  @Benchmark
  public Object baselineJacksonTree() throws Exception {
    return plain.readTree(body);
  }

  @Benchmark
  public Envelope parse() {
    return EnvelopeJson.read(body);
  }

  @Benchmark
  public byte[] write() {
    return EnvelopeJson.write(envelope);
  }

  @Benchmark
  public byte[] writeStored() {
    return EnvelopeJson.writeStored(envelope);
  }

  @Benchmark
  public Envelope readStored() {
    return EnvelopeJson.readStored(body);
  }

  /** Baseline for {@link #quote}: how the quote was made before (a regex over the whole text). */
  @Benchmark
  public String quoteByRegex() {
    String oneLine = text.replaceAll("\\s+", " ").strip();
    if (oneLine.codePointCount(0, oneLine.length()) <= 40) {
      return oneLine;
    }
    return oneLine.substring(0, oneLine.offsetByCodePoints(0, 40)) + "\u2026";
  }

  /** The quote a reaction's fallback may show, made for every plaintext message after its commit. */
  @Benchmark
  public String quote() {
    return io.parlor.core.conversation.Grader.quote(text);
  }

  @Benchmark
  public boolean verifySignature() {
    return signatures.verify(header, body, now);
  }
}
