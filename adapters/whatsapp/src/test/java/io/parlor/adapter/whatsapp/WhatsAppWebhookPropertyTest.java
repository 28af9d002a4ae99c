package io.parlor.adapter.whatsapp;

import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.VERIFY_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.fixture;
import static io.parlor.adapter.meta.MetaTestSupport.signedPost;
import static io.parlor.adapter.whatsapp.TestSupport.NETWORK;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.EventResult;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import io.parlor.spi.json.JsonMutator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Property test of the WhatsApp webhook parser (issue 10): mutants of the official examples of
 * every message type and status (seeded) are answered 200 or 400 — mapped, skipped or refused —
 * never with an exception or a 5xx, and whatever reaches the core is a valid envelope.
 */
class WhatsAppWebhookPropertyTest {
  private static final List<String> SEEDS = List.of(
      "whatsapp-webhook-image-docs.json", "whatsapp-webhook-audio-voice-docs.json", "whatsapp-webhook-video-docs.json",
      "whatsapp-webhook-document-docs.json", "whatsapp-webhook-sticker-docs.json", "whatsapp-webhook-location-docs.json",
      "whatsapp-webhook-reaction-docs.json", "whatsapp-webhook-reaction-removed-docs.json", "whatsapp-webhook-edit-docs.json",
      "whatsapp-webhook-revoke-docs.json", "whatsapp-webhook-reply-context-pywa.json", "whatsapp-webhook-status-read-bindambc.json",
      "whatsapp-webhook-batched.json");

  @Test
  void mutantsOfEveryTypeAreAnsweredWithoutCrashing() throws Exception {
    MetaTestSupport.FakeSink sink = new MetaTestSupport.FakeSink();
    WhatsAppIngress ingress = new WhatsAppIngress(
        new HubSignature(APP_SECRET), VERIFY_TOKEN, new WhatsAppNormalizer(NETWORK, "106540352242922"), sink, "whatsapp",
        r -> {}, e -> CompletableFuture.completedFuture(EventResult.accepted()), e -> {});
    int answered = 0;
    for (int s = 0; s < SEEDS.size(); s++) {
      JsonNode seed = EnvelopeJson.mapper().readTree(new String(fixture(SEEDS.get(s)), StandardCharsets.UTF_8)
          .replace("1122334455667", "106540352242922").replace("409552778964973", "106540352242922"));
      JsonMutator m = new JsonMutator(300 + s);
      for (int i = 0; i < 400; i++) {
        byte[] mutant = m.mutate(seed);
        HttpResponse r;
        try {
          r = ingress.receive(signedPost("/webhooks/whatsapp", mutant)).toCompletableFuture().join();
        } catch (RuntimeException e) {
          throw new AssertionError(SEEDS.get(s) + " mutant " + i + " threw " + e + ": "
              + new String(mutant, StandardCharsets.UTF_8), e);
        }
        assertTrue(r.status() == 200 || r.status() == 400,
            SEEDS.get(s) + " mutant " + i + " got " + r.status() + ": " + new String(mutant, StandardCharsets.UTF_8));
        answered++;
      }
    }
    sink.received.forEach(e -> EnvelopeJson.readStored(EnvelopeJson.writeStored(e)));
    assertTrue(answered == SEEDS.size() * 400);
    assertTrue(!sink.received.isEmpty(), "some mutants still carry a message");
  }
}
