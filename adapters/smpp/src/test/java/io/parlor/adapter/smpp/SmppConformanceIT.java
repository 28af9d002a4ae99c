package io.parlor.adapter.smpp;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.tck.AdapterConformanceKit;
import io.parlor.tck.NetworkFake;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** The conformance kit against the SMPP adapter, its network an SMSC on jsmpp's server side. */
class SmppConformanceIT extends AdapterConformanceKit {

  @Override
  protected NetworkFake startNetwork() throws Exception {
    return new SmscNetwork();
  }

  @Override
  protected Adapter createAdapter(NetworkFake network, AdapterContext context) {
    SmscNetwork n = (SmscNetwork) network;
    return new SmppAdapterProvider().create(ItSupport.config(n.port, Map.of()), context);
  }

  @Override
  protected Address counterpart() {
    return Address.of("sms:+447700900001"); // SMS shows a number, not a handle
  }

  /** The SMSC, and a phone on it. */
  static final class SmscNetwork implements NetworkFake {
    volatile TestSmsc smsc;
    final int port;
    private final List<TestSmsc.Received> submits = new CopyOnWriteArrayList<>();
    private final List<TestSmsc> retired = new ArrayList<>();

    record Sms(String text, CompletableFuture<Integer> status) implements Sent {}

    SmscNetwork() throws Exception {
      smsc = new TestSmsc();
      port = smsc.port();
    }

    @Override
    public NetworkId network() {
      return ItSupport.SMS;
    }

    @Override
    public Address recipient() {
      return Address.of("sms:+447700900123");
    }

    @Override
    public Sent sendText(String text) {
      CompletableFuture<Integer> status = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        try {
          status.complete(smsc.deliver("447700900777", "12345", 0, 0, text.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
          status.completeExceptionally(e);
        }
      }, "test-smsc-deliver");
      t.setDaemon(true);
      t.start();
      return new Sms(text, status);
    }

    @Override
    public boolean acknowledges() {
      return true;
    }

    @Override
    public Ack ackOf(Sent sent) {
      CompletableFuture<Integer> s = ((Sms) sent).status();
      if (!s.isDone()) {
        return Ack.PENDING;
      }
      int status = s.join();
      // ESME_RX_T_APPN, ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR: the SMSC tries again later
      return status == 0 ? Ack.TAKEN : status == 0x64 || status == 0x58 || status == 0x14 || status == 0x08 ? Ack.RETRY
          : Ack.REFUSED;
    }

    private List<TestSmsc.Received> submits() {
      smsc.submits.drainTo(submits);
      return submits;
    }

    @Override
    public List<Delivered> delivered() {
      List<Delivered> out = new ArrayList<>();
      for (TestSmsc.Received r : submits()) {
        if (r.id() == null) {
          continue; // refused
        }
        byte[] sm = r.sm().getShortMessage();
        String text = r.sm().getDataCoding() == 0x08 ? new String(sm, StandardCharsets.UTF_16BE)
            : new String(sm, StandardCharsets.ISO_8859_1);
        out.add(new Delivered(ContentKind.TEXT, text));
      }
      return out;
    }

    @Override
    public boolean failNext(Failure failure) {
      smsc.next.set(failure == Failure.TRANSIENT ? TestSmsc.Submit.THROTTLE : TestSmsc.Submit.REJECT);
      return true;
    }

    @Override
    public boolean slowNext(Duration delay) {
      smsc.next.set(TestSmsc.Submit.HOLD);
      TestSmsc held = smsc;
      Thread t = new Thread(() -> {
        try {
          Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
          return;
        }
        held.releaseHeld();
      }, "test-smsc-release");
      t.setDaemon(true);
      t.start();
      return true;
    }

    @Override
    public void goDown() throws Exception {
      submits();
      smsc.close();
      retired.add(smsc);
    }

    @Override
    public void comeBack() throws Exception {
      smsc = new TestSmsc(port);
    }

    @Override
    public boolean connectionOriented() {
      return true;
    }

    @Override
    public boolean receiptOfLast() {
      List<TestSmsc.Received> all = submits();
      smsc.receiptFor(all.get(all.size() - 1));
      return true;
    }

    @Override
    public boolean ownThread(Thread t) {
      String n = t.getName();
      if (n.startsWith("test-smsc")) {
        return true;
      }
      List<String> ids = new ArrayList<>(smsc.serverSessionIds());
      retired.forEach(s -> ids.addAll(s.serverSessionIds()));
      return ids.stream().anyMatch(id -> n.endsWith("-" + id));
    }

    @Override
    public void close() throws Exception {
      smsc.close();
    }
  }
}
