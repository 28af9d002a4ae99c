package io.parlor.adapter.messenger;

import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.VERIFY_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.signedPost;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.parlor.adapter.meta.HubSignature;
import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.EventResult;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.util.concurrent.CompletableFuture;

/**
 * Fuzz target (Jazzer) of the Messenger webhook: any signed body is answered 200 or 400, never
 * with an exception or a 5xx, and whatever reaches the core can be stored and read back. Corpus:
 * {@code src/test/resources/…/MessengerWebhookFuzzTestInputs/webhook}, run by {@code mvn verify};
 * fuzz for a minute with {@code JAZZER_FUZZ=1 mvn -o test -Djazzer.hooks=true -pl adapters/messenger
 * -Dtest=MessengerWebhookFuzzTest} (docs/reliability.md).
 */
class MessengerWebhookFuzzTest {
  private final MetaTestSupport.FakeSink sink = new MetaTestSupport.FakeSink();
  private final MessengerIngress ingress = new MessengerIngress(
      new HubSignature(APP_SECRET), VERIFY_TOKEN,
      new MessengerNormalizer(NetworkId.of("messenger"), Platform.MESSENGER, TestSupport.PAGE_ID), sink,
      e -> CompletableFuture.completedFuture(EventResult.accepted()), "messenger");

  @FuzzTest(maxDuration = "60s")
  void webhook(byte[] body) {
    sink.received.clear();
    HttpResponse r = ingress.receive(signedPost("/webhooks/messenger", body)).toCompletableFuture().join();
    if (r.status() != 200 && r.status() != 400) {
      throw new AssertionError("answered " + r.status());
    }
    sink.received.forEach(e -> EnvelopeJson.readStored(EnvelopeJson.writeStored(e)));
  }
}
