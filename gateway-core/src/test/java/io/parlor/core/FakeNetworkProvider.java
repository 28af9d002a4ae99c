package io.parlor.core;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.Health;
import io.parlor.spi.HealthState;
import io.parlor.spi.IngressResult;
import io.parlor.spi.Level;
import io.parlor.spi.NetworkReceipt;
import io.parlor.spi.SenderPresentation;
import io.parlor.spi.StatusReceiver;
import io.parlor.spi.StatusReport;
import io.parlor.spi.config.ConfigView;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Envelope;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake network for core tests (a fake, not a mock): records what it is asked to deliver,
 * answers with network message ids, and lets the test inject inbound envelopes. Config:
 * {@code presentation: relay | pool | single}, {@code pool: [...]}, {@code self: net:account}.
 */
final class FakeNetworkProvider implements AdapterProvider<FakeNetworkProvider.Config> {
  record Config(
      String presentation, List<String> pool, String self, boolean receipts, boolean receiptFirst, boolean media,
      List<String> content) {}

  final Map<String, FakeAdapter> adapters = new ConcurrentHashMap<>();

  @Override
  public String type() {
    return "fake";
  }

  @Override
  public Config parseConfig(ConfigView view) {
    return new Config(
        view.oneOf("presentation", "relay", List.of("relay", "pool", "single")),
        view.stringList("pool", List.of()),
        view.string("self", null),
        view.bool("receipts", false),
        view.bool("receiptFirst", false),
        view.bool("media", false),
        view.stringList("content", List.of()));
  }

  @Override
  public String exampleConfig() {
    return "";
  }

  @Override
  public Adapter create(Config config, AdapterContext context) {
    FakeAdapter a = new FakeAdapter(config, context);
    adapters.put(context.networkId().value(), a);
    return a;
  }

  static final class FakeAdapter implements Adapter, StatusReceiver {
    final Config config;
    final AdapterContext context;
    final List<Envelope> delivered = new CopyOnWriteArrayList<>();
    final List<String> networkIds = new CopyOnWriteArrayList<>();
    final List<String> idempotencyKeys = new CopyOnWriteArrayList<>();
    final List<StatusReport> statuses = new CopyOnWriteArrayList<>();
    final AtomicInteger counter = new AtomicInteger();

    FakeAdapter(Config config, AdapterContext context) {
      this.config = config;
      this.context = context;
      context.metrics().gauge("handed_over", delivered::size); // through the SPI's metrics hook
    }

    IngressResult inject(Envelope e) {
      return context.inbound().accept(e).toCompletableFuture().join();
    }

    @Override
    public CompletionStage<Void> start() {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> stop(Duration grace) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public Health health() {
      return Health.of(HealthState.CONNECTED, "", context.clock().instant());
    }

    @Override
    public Capabilities capabilities() {
      return new Capabilities(Set.of(), 4096, Level.REJECTED, config.receipts() ? Level.FULL : Level.DROPPED, Level.FULL)
          .withConversations(
              config.content().stream().map(k -> io.parlor.spi.envelope.ContentKind.fromWire(k).orElseThrow())
                  .collect(java.util.stream.Collectors.toSet()),
              Set.of());
    }

    @Override
    public CompletionStage<DeliveryResult> deliver(Envelope envelope, DeliveryTarget target) {
      String id = context.networkId() + "-msg-" + counter.incrementAndGet();
      delivered.add(envelope);
      networkIds.add(id);
      idempotencyKeys.add(target.idempotencyKey());
      if (config.receiptFirst()) {
        // like an SMSC whose receipt overtakes the submit response
        emit(new NetworkReceipt(target.idempotencyKey(), id, NetworkReceipt.Outcome.DELIVERED, "", context.clock().instant()));
      }
      return CompletableFuture.completedFuture(new DeliveryResult(id));
    }

    void emit(NetworkReceipt r) {
      context.receipts().onReceipt(r);
    }

    @Override
    public CompletionStage<Void> reportStatus(StatusReport report) {
      statuses.add(report);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public <T> java.util.Optional<T> feature(Class<T> type) {
      if (type == io.parlor.spi.MediaSource.class && config.media()) {
        // media held by this fake network: its reference is a URL only its "credentials" open
        io.parlor.spi.MediaSource source = ref -> CompletableFuture.completedFuture(
            new io.parlor.spi.MediaSource.MediaLocation(
                java.net.URI.create(ref), Map.of("authorization", "Bearer fake-network-token"), null, null));
        return java.util.Optional.of(type.cast(source));
      }
      return type == StatusReceiver.class ? java.util.Optional.of(type.cast(this)) : java.util.Optional.empty();
    }

    @Override
    public SenderPresentation senderPresentation() {
      switch (config.presentation()) {
        case "pool":
          return new SenderPresentation.NumberPool(config.pool().stream().map(Address::of).toList());
        case "single":
          return new SenderPresentation.SingleIdentity(Address.of(config.self()));
        default:
          return new SenderPresentation.RelayAddress();
      }
    }
  }
}
