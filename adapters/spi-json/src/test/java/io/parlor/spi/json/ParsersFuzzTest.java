package io.parlor.spi.json;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.EnvelopeException;
import java.time.Instant;

/**
 * Fuzz targets (Jazzer) of the JSON every node reads: envelopes (v1 and v2, every content kind),
 * events, and request bodies of the user, admin and key APIs (all read by
 * {@link EnvelopeJson#readJson}). A target passes an input when the parser returns or refuses it
 * with an {@link EnvelopeException} naming a field; anything else (another exception, an
 * envelope that cannot be written and read back, a string with an unpaired surrogate let
 * through) is a finding.
 *
 * <p>In {@code mvn verify} each target runs its corpus (in {@code src/test/resources/…/
 * ParsersFuzzTestInputs/<target>}) once, as a regression test. To fuzz one for a minute:
 * {@code JAZZER_FUZZ=1 mvn -o test -Djazzer.hooks=true -pl adapters/spi-json -Dtest=ParsersFuzzTest#envelope
 * -Djazzer.max_duration=60s} (docs/reliability.md).
 */
class ParsersFuzzTest {
  @FuzzTest(maxDuration = "60s")
  void envelope(byte[] data) {
    Envelope e;
    try {
      e = EnvelopeJson.read(data);
    } catch (EnvelopeException refused) {
      return;
    }
    // what was accepted can be written and read back, to the same envelope
    Envelope again = EnvelopeJson.read(EnvelopeJson.write(e));
    if (!again.id().equals(e.id()) || !again.content().equals(e.content())) {
      throw new AssertionError("round trip changed the envelope: " + e + " -> " + again);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void event(byte[] data) {
    try {
      EventJson.read(data, Instant.parse("2026-11-29T10:00:00Z"));
    } catch (EnvelopeException refused) {
      // named refusal
    }
  }

  @FuzzTest(maxDuration = "60s")
  void requestBody(byte[] data) {
    JsonNode n;
    try {
      n = EnvelopeJson.readJson(data);
    } catch (EnvelopeException refused) {
      return;
    }
    check(n);
  }

  private static void check(JsonNode n) {
    if (n.isTextual() && EnvelopeJson.unpairedSurrogate(n.textValue())) {
      throw new AssertionError("an unpaired surrogate was let through: " + n);
    }
    n.fieldNames().forEachRemaining(f -> {
      if (EnvelopeJson.unpairedSurrogate(f)) {
        throw new AssertionError("an unpaired surrogate in a field name was let through");
      }
    });
    n.elements().forEachRemaining(ParsersFuzzTest::check);
  }
}
