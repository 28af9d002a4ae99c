package io.parlor.adapter.whatsapp;

import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.VERIFY_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.signedPost;
import static io.parlor.adapter.whatsapp.TestSupport.NETWORK;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.EventResult;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.util.concurrent.CompletableFuture;

/**
 * Fuzz target (Jazzer) of the WhatsApp webhook: any signed body is answered 200 or 400 — mapped,
 * skipped or refused — never with an exception or a 5xx, and whatever reaches the core is an
 * envelope that can be stored and read back. Corpus: the official examples in
 * {@code src/test/resources/…/WhatsAppWebhookFuzzTestInputs/webhook}, run by {@code mvn verify};
 * fuzz for a minute with {@code JAZZER_FUZZ=1 mvn -o test -Djazzer.hooks=true -pl adapters/whatsapp
 * -Dtest=WhatsAppWebhookFuzzTest} (docs/reliability.md).
 */
class WhatsAppWebhookFuzzTest {
  private final MetaTestSupport.FakeSink sink = new MetaTestSupport.FakeSink();
  private final WhatsAppIngress ingress = new WhatsAppIngress(
      new HubSignature(APP_SECRET), VERIFY_TOKEN, new WhatsAppNormalizer(NETWORK, "106540352242922"), sink, "whatsapp",
      r -> {}, e -> CompletableFuture.completedFuture(EventResult.accepted()), e -> {});

  @FuzzTest(maxDuration = "60s")
  void webhook(byte[] body) {
    sink.received.clear();
    HttpResponse r = ingress.receive(signedPost("/webhooks/whatsapp", body)).toCompletableFuture().join();
    if (r.status() != 200 && r.status() != 400) {
      throw new AssertionError("answered " + r.status());
    }
    sink.received.forEach(e -> EnvelopeJson.readStored(EnvelopeJson.writeStored(e)));
  }
}
