package io.parlor.adapter.messenger;

import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.VERIFY_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static io.parlor.adapter.meta.MetaTestSupport.signedPost;
import static io.parlor.adapter.messenger.TestSupport.PAGE_ID;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.EventResult;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import io.parlor.spi.json.JsonMutator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Property test of the Messenger webhook parser (issue 10): mutants of every event shape
 * (attachments, edits, reactions, deletes, reads, replies, batches; seeded) are answered 200 or
 * 400, never with an exception or a 5xx, and what reaches the core is a valid envelope.
 */
class MessengerWebhookPropertyTest {
  private static final List<String> SEEDS = List.of(
      "messenger-webhook-text.json", "messenger-webhook-attachment-image.json", "messenger-webhook-message-edit-docs.json",
      "messenger-webhook-reaction.json", "messenger-webhook-read.json", "messenger-webhook-reply.json",
      "messenger-webhook-batched.json", "messenger-webhook-delivery.json");

  @Test
  void mutantsOfEveryEventAreAnsweredWithoutCrashing() throws Exception {
    MetaTestSupport.FakeSink sink = new MetaTestSupport.FakeSink();
    MessengerIngress ingress = new MessengerIngress(
        new HubSignature(APP_SECRET), VERIFY_TOKEN,
        new MessengerNormalizer(NetworkId.of("messenger"), Platform.MESSENGER, PAGE_ID), sink,
        e -> CompletableFuture.completedFuture(EventResult.accepted()), "messenger");
    for (int s = 0; s < SEEDS.size(); s++) {
      JsonNode seed = EnvelopeJson.mapper().readTree(fixture(SEEDS.get(s)));
      JsonMutator m = new JsonMutator(500 + s);
      for (int i = 0; i < 400; i++) {
        byte[] mutant = m.mutate(seed);
        HttpResponse r;
        try {
          r = ingress.receive(signedPost("/webhooks/messenger", mutant)).toCompletableFuture().join();
        } catch (RuntimeException e) {
          throw new AssertionError(SEEDS.get(s) + " mutant " + i + " threw " + e + ": "
              + new String(mutant, StandardCharsets.UTF_8), e);
        }
        assertTrue(r.status() == 200 || r.status() == 400,
            SEEDS.get(s) + " mutant " + i + " got " + r.status() + ": " + new String(mutant, StandardCharsets.UTF_8));
      }
    }
    sink.received.forEach(e -> EnvelopeJson.readStored(EnvelopeJson.writeStored(e)));
    assertTrue(!sink.received.isEmpty(), "some mutants still carry a message");
  }
}
