package io.parlor.core.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.webhook.Signatures;
import org.junit.jupiter.api.Test;

/**
 * Issue 18.3: a captured signed request must never outlive its dedupe key. A signature is accepted
 * up to {@link Signatures#MAX_SKEW} either side of its timestamp, so a request signed ahead of its
 * first arrival stays replayable for twice that after it: the shortest dedupe window covers it.
 */
class ReplayWindowTest {
  @Test
  void theShortestDedupeWindowOutlivesEverySignature() {
    assertTrue(ConfigLoader.MIN_DEDUPE_WINDOW.compareTo(Signatures.MAX_SKEW.multipliedBy(2)) >= 0,
        "delivery.dedupeWindow may be as short as " + ConfigLoader.MIN_DEDUPE_WINDOW
            + " but a signature replays for " + Signatures.MAX_SKEW.multipliedBy(2));
  }
}
