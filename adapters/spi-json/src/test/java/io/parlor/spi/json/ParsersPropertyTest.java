package io.parlor.spi.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.EnvelopeException;
import io.parlor.spi.envelope.Event;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Property tests of the envelope and event parsers (issue 10): thousands of mutants of valid
 * documents of every content kind and event (seeded, so a failure reproduces) either parse into
 * a valid value that survives a write/read round trip, or are refused with an {@link
 * EnvelopeException} naming a field — never any other exception (which the HTTP layer would turn
 * into a 500).
 */
class ParsersPropertyTest {
  private static final int MUTANTS_PER_SEED = 1500;
  private static final List<String> ENVELOPES = ParsersPropertyTestSeeds.ENVELOPES;
  private static final List<String> EVENTS = ParsersPropertyTestSeeds.EVENTS;

  @Test
  void theSeedsAreValid() {
    for (String s : ENVELOPES) {
      Envelope e = EnvelopeJson.read(s.getBytes(StandardCharsets.UTF_8));
      assertEquals(e, EnvelopeJson.read(EnvelopeJson.write(e)), "round trip of " + e.content().kind());
    }
    for (String s : EVENTS) {
      EventJson.read(s.getBytes(StandardCharsets.UTF_8), Instant.EPOCH);
    }
  }

  @Test
  void mutatedEnvelopesParseOrAreRefusedNamingAField() {
    int refused = run(ENVELOPES, 1, bytes -> {
      Envelope e = EnvelopeJson.read(bytes);
      assertEquals(e, EnvelopeJson.read(EnvelopeJson.write(e)), "a parsed envelope survives a round trip");
      return e;
    });
    assertFalse(refused == 0, "the mutants must include refusals");
  }

  @Test
  void mutatedEventsParseOrAreRefusedNamingAField() {
    int refused = run(EVENTS, 2, bytes -> EventJson.read(bytes, Instant.EPOCH));
    assertFalse(refused == 0);
  }

  /** Returns how many mutants were refused. */
  private static int run(List<String> seeds, long salt, Function<byte[], Object> parse) {
    int refused = 0;
    for (int s = 0; s < seeds.size(); s++) {
      JsonNode seed = JsonMutator.json(seeds.get(s));
      JsonMutator mutator = new JsonMutator(salt * 1000 + s);
      for (int i = 0; i < MUTANTS_PER_SEED; i++) {
        byte[] mutant = mutator.mutate(seed);
        try {
          Object parsed = parse.apply(mutant);
          if (parsed instanceof Event.Read r && r.ids().isEmpty()) {
            fail("a read receipt without ids was accepted");
          }
        } catch (EnvelopeException e) {
          refused++;
          if (e.field() == null || e.field().isEmpty()) {
            fail("a refusal must name a field: " + e.getMessage());
          }
        } catch (RuntimeException | AssertionError e) {
          throw new AssertionError("seed " + s + ", mutant " + i + " (" + new String(mutant, StandardCharsets.UTF_8)
              + ") threw " + e, e);
        }
      }
    }
    return refused;
  }
}
