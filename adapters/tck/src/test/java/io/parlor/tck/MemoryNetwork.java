package io.parlor.tck;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.NetworkId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A network in memory, for the kit's own tests: the reference adapter talks to it directly. */
final class MemoryNetwork implements NetworkFake {
  record Message(String id, String from, String text) implements Sent {}

  final List<Delivered> delivered = new CopyOnWriteArrayList<>();
  final Map<String, Ack> acks = new ConcurrentHashMap<>();
  final AtomicInteger reads = new AtomicInteger();
  final AtomicInteger typing = new AtomicInteger();
  volatile boolean up = true;
  volatile Failure failNext;
  volatile Duration rateLimitNext;
  volatile Duration slowNext;
  volatile MemoryAdapter adapter;
  volatile String lastDeliveryId;
  private final AtomicInteger ids = new AtomicInteger();

  @Override
  public NetworkId network() {
    return NetworkId.of("memory");
  }

  @Override
  public Address recipient() {
    return Address.of("memory:bob");
  }

  @Override
  public Sent sendText(String text) {
    Message m = new Message("m" + ids.incrementAndGet(), "alice", text);
    acks.put(m.id(), Ack.PENDING);
    adapter.receive(m);
    return m;
  }

  @Override
  public boolean redeliver(Sent sent) {
    adapter.receive((Message) sent);
    return true;
  }

  @Override
  public boolean acknowledges() {
    return true;
  }

  @Override
  public Ack ackOf(Sent sent) {
    return acks.get(((Message) sent).id());
  }

  @Override
  public List<Delivered> delivered() {
    return List.copyOf(delivered);
  }

  @Override
  public boolean failNext(Failure failure) {
    failNext = failure;
    return true;
  }

  @Override
  public boolean rateLimitNext(Duration wait) {
    rateLimitNext = wait;
    return true;
  }

  @Override
  public boolean slowNext(Duration delay) {
    slowNext = Duration.ofMillis(Math.min(delay.toMillis(), 400)); // slow enough to tell, quick for 24 runs
    return true;
  }

  @Override
  public void goDown() {
    up = false;
  }

  @Override
  public void comeBack() {
    up = true;
  }

  @Override
  public boolean connectionOriented() {
    return true;
  }

  @Override
  public boolean receiptOfLast() {
    adapter.receipt(lastDeliveryId);
    return true;
  }

  @Override
  public boolean readLast() {
    adapter.read(lastDeliveryId);
    return true;
  }

  @Override
  public int readsShown() {
    return reads.get();
  }

  @Override
  public int typingShown() {
    return typing.get();
  }

  @Override
  public Duration patience() {
    return Duration.ofSeconds(1); // all in memory: a second is ages
  }

  @Override
  public void close() {}

  static ContentKind kindOf(io.parlor.spi.envelope.Content c) {
    return c.kind();
  }
}
