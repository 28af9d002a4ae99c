package io.parlor.adapter.smpp;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.Health;
import io.parlor.spi.HealthState;
import io.parlor.spi.Level;
import io.parlor.spi.SenderPresentation;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Envelope;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jsmpp.session.SMPPSession;

/**
 * SMS over SMPP 3.4: Parlor binds to the operator's SMSC as an ESME. Thread-safe.
 *
 * <pre>{@code
 * Adapter sms = new SmppAdapterProvider().create(config, context);
 * sms.start();                              // binds in the background; health says when CONNECTED
 * sms.deliver(envelope, target)             // completes when the SMSC accepted every part
 *     .whenComplete((result, error) -> ...);
 * sms.stop(Duration.ofSeconds(5));          // drains submits in flight, unbinds, frees threads
 * }</pre>
 *
 * <p>Threads it owns while started: one supervisor per bind ({@code smpp-<network>-link-*}), up to
 * {@code window} submit threads ({@code smpp-<network>-submit-*}), and jsmpp's reader,
 * enquire-link and PDU-processing threads of the current session. {@link #stop} ends all of them.
 */
public final class SmppAdapter implements Adapter {
  private final SmppConfig config;
  private final AdapterContext context;
  private final ReceiptListener receipts;
  private final Capabilities capabilities;
  private final SenderPresentation presentation;
  private final StatsRecorder stats = new StatsRecorder();
  private final Object lock = new Object();
  private volatile Health health;
  private volatile Running running;

  SmppAdapter(SmppConfig config, AdapterContext context) {
    this(config, context, receipt -> context.receipts().onReceipt(toSpi(receipt)));
  }

  private static io.parlor.spi.NetworkReceipt toSpi(SmsReceipt r) {
    return new io.parlor.spi.NetworkReceipt(
        r.idempotencyKey(), r.networkMessageId(),
        io.parlor.spi.NetworkReceipt.Outcome.valueOf(r.outcome().name()), r.error(), r.at());
  }

  /** With an explicit receipt hook (tests); the public constructor forwards to the core. */
  SmppAdapter(SmppConfig config, AdapterContext context, ReceiptListener receipts) {
    this.config = config;
    this.context = context;
    this.receipts = receipts;
    this.capabilities =
        new Capabilities(Set.of(), config.maxGsmText(), Level.REJECTED, Level.FULL, Level.DROPPED);
    this.presentation = presentation(config, context);
    this.health = Health.of(HealthState.STOPPED, "not started", context.clock().instant());
    for (String stat : values().keySet()) {
      context.metrics().gauge(stat, () -> values().get(stat)); // exported by the core, tagged with the network
    }
  }

  @Override
  public CompletionStage<Void> start() {
    synchronized (lock) {
      if (running == null) {
        running = new Running();
        setHealth(HealthState.STARTING, "binding");
        running.links.forEach(SmppLink::start);
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> stop(Duration grace) {
    Running r;
    synchronized (lock) {
      r = running;
      running = null;
      if (r == null) {
        return CompletableFuture.completedFuture(null);
      }
      setHealth(HealthState.STOPPED, "stopping");
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        r.window.close(grace, what -> new TransientDeliveryException(what + ": adapter stopped before submit_sm_resp"));
        r.links.forEach(l -> l.stop(grace));
        setHealth(HealthState.STOPPED, "stopped");
      } finally {
        done.complete(null);
      }
    }, "smpp-" + context.networkId() + "-stop");
    t.setDaemon(true);
    t.start();
    return done;
  }

  @Override
  public Health health() {
    return health;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public SenderPresentation senderPresentation() {
    return presentation;
  }

  @Override
  public CompletionStage<DeliveryResult> deliver(Envelope envelope, DeliveryTarget target) {
    Running r = running;
    if (r == null) {
      return CompletableFuture.failedFuture(
          new AdapterUnavailableException("network " + context.networkId() + " is not started"));
    }
    return r.sender.deliver(envelope, target);
  }

  /** Counters for monitoring; no phone numbers, ids or content. */
  public SmppStats stats() {
    Running r = running;
    return stats.snapshot(
        health.state(), config.window(), r == null ? 0 : r.window.inFlight(), r == null ? 0 : r.window.queued());
  }

  /** Ids of every jsmpp session the current run created (tests check their threads end). */
  List<String> sessionIds() {
    Running r = running;
    List<String> out = new ArrayList<>();
    if (r != null) {
      r.links.forEach(l -> out.addAll(l.sessionIds()));
    }
    return out;
  }

  private void setHealth(HealthState state, String reason) {
    Health h = Health.of(state, reason, context.clock().instant());
    health = h;
    context.healthListener().onHealth(context.networkId(), h);
  }

  private static SenderPresentation presentation(SmppConfig config, AdapterContext context) {
    if (!config.numberPool().isEmpty()) {
      List<Address> pool = new ArrayList<>();
      config.numberPool().forEach(n -> pool.add(Address.account(context.networkId(), n)));
      return new SenderPresentation.NumberPool(pool);
    }
    SmppConfig.Source s = config.source();
    String self;
    if (s.address().isEmpty()) {
      self = config.systemId().replaceAll("\\s", "");
    } else if (s.ton() == PhoneNumbers.TON_INTERNATIONAL) {
      self = "+" + s.address();
    } else {
      self = s.address().replaceAll("\\s", "");
    }
    // SMS has no reply context: a reply goes to the most recent conversation (or @handle)
    return new SenderPresentation.SingleIdentity(Address.account(context.networkId(), self), false);
  }

  /** Everything one start() creates; stop() releases it. */
  private final class Running implements SmppLink.Listener {
    final ReceiptCorrelator correlator;
    final SubmitWindow window;
    final List<SmppLink> links = new ArrayList<>();
    final SmppSender sender;

    Running() {
      String net = context.networkId().value();
      correlator = new ReceiptCorrelator(context.clock(), receipts, stats, Duration.ofHours(72), 200_000);
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      SmppNormalizer normalizer =
          new SmppNormalizer(
              context.networkId(),
              context.clock(),
              new Reassembler(context.clock(), config.reassemblyTimeout(), 10_000),
              new MoIds(context.clock(), key, 100_000),
              stats);
      SmppInbound inbound =
          new SmppInbound(normalizer, context.inbound(), correlator, stats, config.responseTimeout());
      window = new SubmitWindow("smpp-" + net + "-submit-", config.window(), config.queueSize());
      SmppLink tx;
      if (config.bindType() == SmppConfig.BindType.TRANSCEIVER) {
        tx = new SmppLink(config, SmppLink.Role.TRANSCEIVER, "smpp-" + net + "-link-trx", inbound, this, stats);
        links.add(tx);
      } else {
        tx = new SmppLink(config, SmppLink.Role.TRANSMITTER, "smpp-" + net + "-link-tx", inbound, this, stats);
        links.add(tx);
        links.add(new SmppLink(config, SmppLink.Role.RECEIVER, "smpp-" + net + "-link-rx", inbound, this, stats));
      }
      sender = new SmppSender(config, context.networkId(), context.clock(),
          new SmppSender.Parts(tx, window, correlator, stats));
    }

    @Override
    public void onLinkState(SmppLink link) {
      synchronized (lock) {
        if (running != this) {
          return;
        }
        HealthState state;
        String reason;
        if (links.size() == 1) {
          state = link.state();
          reason = link.reason();
        } else {
          SmppLink tx = links.get(0);
          SmppLink rx = links.get(1);
          state = combine(tx.state(), rx.state());
          SmppLink worse = tx.state() != HealthState.CONNECTED ? tx : rx;
          reason = state == HealthState.CONNECTED ? "bound" : name(worse) + " bind: " + worse.reason();
        }
        if (state != health.state() || !reason.equals(health.reason())) {
          setHealth(state, reason);
        }
      }
    }

    @Override
    public void onSessionLost(SMPPSession session) {
      window.failSession(session, SmppErrorMapper::linkLost);
    }

    private HealthState combine(HealthState tx, HealthState rx) {
      if (tx == HealthState.AUTH_FAILED || rx == HealthState.AUTH_FAILED) {
        return HealthState.AUTH_FAILED;
      }
      if (tx == HealthState.CONNECTED) {
        return rx == HealthState.CONNECTED ? HealthState.CONNECTED : HealthState.DEGRADED;
      }
      return tx == HealthState.STARTING && rx != HealthState.RECONNECTING
          ? HealthState.STARTING
          : HealthState.RECONNECTING;
    }

    private String name(SmppLink l) {
      return l.role().name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@link #stats()} as the gauges the core exports (names are constants, values carry no identifiers). */
  java.util.Map<String, Number> values() {
    SmppStats s = stats();
    java.util.Map<String, Number> m = new java.util.LinkedHashMap<>();
    m.put("bound", s.state() == io.parlor.spi.HealthState.CONNECTED ? 1 : 0);
    m.put("binds", s.binds());
    m.put("bind_failures", s.bindFailures());
    m.put("link_drops", s.linkDrops());
    m.put("window", s.window());
    m.put("in_flight", s.inFlight());
    m.put("queued", s.queued());
    m.put("parts_submitted", s.partsSubmitted());
    m.put("submit_failures", s.submitFailures());
    m.put("throttled", s.throttled());
    m.put("submit_latency_avg_seconds", s.submitLatencyAvgMicros() / 1e6);
    m.put("submit_latency_max_seconds", s.submitLatencyMaxMicros() / 1e6);
    m.put("receipts_matched", s.receiptsMatched());
    m.put("receipts_unmatched", s.receiptsUnmatched());
    m.put("mo_accepted", s.moAccepted());
    m.put("mo_temporary_errors", s.moTemporaryErrors());
    m.put("mo_rejected", s.moRejected());
    m.put("reassembly_timeouts", s.reassemblyTimeouts());
    return m;
  }
}
