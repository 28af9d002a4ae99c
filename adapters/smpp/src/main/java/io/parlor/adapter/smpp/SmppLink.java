package io.parlor.adapter.smpp;

import io.parlor.spi.HealthState;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jsmpp.DefaultPDUReader;
import org.jsmpp.DefaultPDUSender;
import org.jsmpp.SynchronizedPDUSender;
import org.jsmpp.bean.BindType;
import org.jsmpp.bean.InterfaceVersion;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.SessionState;
import org.jsmpp.session.BindParameter;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.SMPPSession;
import org.jsmpp.session.connection.ConnectionFactory;
import org.jsmpp.util.DefaultComposer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMPP 3.4 bind kept alive: connects and binds, re-binds with exponential backoff after any
 * drop or failed bind, and detects dead links. Thread-safe.
 *
 * <p>Threading: every transition runs on the link's own supervisor thread. jsmpp's session-state
 * listener only posts an event there: closing a session from inside its state listener can
 * deadlock jsmpp (its {@code close()} joins the enquire-link thread that may be the one notifying).
 * A lost session is always {@code close()}d before the next one is created, which joins its
 * enquire-link thread and ends its reader thread and PDU executor, so no thread outlives its
 * session.
 *
 * <p>Dead links: jsmpp sends {@code enquire_link} after {@code enquireLinkInterval} without
 * incoming data and closes the session when no answer comes within {@code responseTimeout}; a
 * watchdog also declares the link dead when nothing arrived for {@code enquireLinkInterval + 2 ×
 * responseTimeout}.
 *
 * <p>Longer than the usual 300 lines on purpose: the whole bind state machine stays in one place.
 */
final class SmppLink {
  private static final Logger log = LoggerFactory.getLogger(SmppLink.class);

  /** What this bind is for. */
  enum Role {
    TRANSCEIVER(BindType.BIND_TRX),
    TRANSMITTER(BindType.BIND_TX),
    RECEIVER(BindType.BIND_RX);

    final BindType bindType;

    Role(BindType bindType) {
      this.bindType = bindType;
    }
  }

  /** Receives link events, on the supervisor thread. Must not block for long. */
  interface Listener {
    /** The link's {@link #state()} changed. */
    void onLinkState(SmppLink link);

    /** {@code session} was bound and is lost: fail whatever waits on it. */
    void onSessionLost(SMPPSession session);
  }

  private final SmppConfig config;
  private final Role role;
  private final MessageReceiverListener receiver;
  private final Listener listener;
  private final StatsRecorder stats;
  private final Backoff backoff;
  private final ConnectionFactory connections;
  private final ScheduledThreadPoolExecutor supervisor;
  private final List<String> sessionIds = new CopyOnWriteArrayList<>();
  private volatile SMPPSession current;
  private volatile SMPPSession connecting;
  private volatile HealthState state = HealthState.STARTING;
  private volatile String reason = "binding";
  private volatile boolean stopping;
  private int attempt;

  SmppLink(SmppConfig config, Role role, String threadName, MessageReceiverListener receiver,
      Listener listener, StatsRecorder stats) {
    this.config = config;
    this.role = role;
    this.receiver = receiver;
    this.listener = listener;
    this.stats = stats;
    this.backoff = new Backoff(config.reconnectInitial(), config.reconnectMax());
    this.connections = new NoDelayConnectionFactory(config.responseTimeout());
    this.supervisor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    supervisor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    supervisor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
  }

  Role role() {
    return role;
  }

  HealthState state() {
    return state;
  }

  String reason() {
    return reason;
  }

  /** The bound session, or null while (re)connecting. */
  SMPPSession boundSession() {
    return current;
  }

  /** jsmpp session ids this link created, oldest first (tests check their threads are gone). */
  List<String> sessionIds() {
    return List.copyOf(sessionIds);
  }

  void start() {
    long every = Math.max(100, Math.min(config.enquireLinkInterval().toMillis(), config.responseTimeout().toMillis()) / 2);
    supervisor.execute(this::connect);
    supervisor.scheduleWithFixedDelay(this::watchdog, every, every, TimeUnit.MILLISECONDS);
  }

  /** Asks the supervisor to drop {@code session} and rebind (e.g. after repeated timeouts). */
  void recycle(SMPPSession session, String why) {
    post(() -> lost(session, why));
  }

  /**
   * Unbinds and releases the supervisor thread and the session's threads. Blocks up to about
   * {@code grace} plus {@code responseTimeout} (the unbind answer). Idempotent.
   */
  void stop(Duration grace) {
    stopping = true;
    SMPPSession pending = connecting;
    if (pending != null) {
      pending.close();
    }
    post(this::unbind);
    supervisor.shutdown();
    try {
      long wait = grace.plus(config.responseTimeout()).toMillis();
      if (!supervisor.awaitTermination(wait, TimeUnit.MILLISECONDS)) {
        supervisor.shutdownNow();
        supervisor.awaitTermination(config.responseTimeout().toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      supervisor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    SMPPSession s = current;
    current = null;
    if (s != null) {
      s.close();
    }
    setState(HealthState.STOPPED, "stopped");
  }

  private void unbind() {
    SMPPSession s = current;
    current = null;
    if (s != null) {
      s.unbindAndClose();
    }
  }

  private void connect() {
    if (stopping) {
      return;
    }
    SMPPSession s = newSession();
    sessionIds.add(s.getSessionId());
    connecting = s;
    try {
      s.connectAndBind(config.host(), config.port(), bindParameter(), config.responseTimeout().toMillis());
    } catch (IOException | RuntimeException e) {
      connecting = null;
      s.close();
      bindFailed(e);
      return;
    }
    connecting = null;
    if (stopping || !s.getSessionState().isBound()) {
      s.unbindAndClose();
      if (!stopping) {
        bindFailed(new IOException("session closed right after bind"));
      }
      return;
    }
    current = s;
    attempt = 0;
    stats.bound();
    log.info("SMPP {} bind established", role.name().toLowerCase(java.util.Locale.ROOT));
    setState(HealthState.CONNECTED, "bound");
  }

  private void bindFailed(Exception e) {
    stats.bindFailed();
    if (stopping) {
      return;
    }
    int status = negativeStatus(e);
    String why =
        status >= 0
            ? "bind refused: " + SmppErrorMapper.name(status)
            : "connect or bind failed: " + e.getClass().getSimpleName();
    boolean auth = status >= 0 && SmppErrorMapper.isAuthFailure(status);
    log.warn("SMPP {} {}", role.name().toLowerCase(java.util.Locale.ROOT), why);
    setState(auth ? HealthState.AUTH_FAILED : HealthState.RECONNECTING, why);
    scheduleReconnect();
  }

  private void lost(SMPPSession s, String why) {
    if (s != current) {
      return;
    }
    current = null;
    stats.linkDropped();
    log.warn("SMPP {} link lost: {}", role.name().toLowerCase(java.util.Locale.ROOT), why);
    try {
      listener.onSessionLost(s);
    } finally {
      s.close();
    }
    if (!stopping) {
      setState(HealthState.RECONNECTING, why);
      scheduleReconnect();
    }
  }

  private void watchdog() {
    SMPPSession s = current;
    if (s == null) {
      return;
    }
    if (!s.getSessionState().isBound()) {
      lost(s, "link closed");
      return;
    }
    long idle = System.currentTimeMillis() - s.getLastActivityTimestamp();
    long limit = config.enquireLinkInterval().plus(config.responseTimeout().multipliedBy(2)).toMillis();
    if (idle > limit) {
      lost(s, "link dead: nothing received for " + idle + " ms");
    }
  }

  private void scheduleReconnect() {
    if (stopping) {
      return;
    }
    Duration d = backoff.delay(attempt++, ThreadLocalRandom.current().nextDouble());
    try {
      supervisor.schedule(this::connect, d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // stopping
    }
  }

  private SMPPSession newSession() {
    SMPPSession s =
        new SMPPSession(
            new SynchronizedPDUSender(new DefaultPDUSender(new DefaultComposer())),
            new DefaultPDUReader(),
            connections);
    s.setEnquireLinkTimer((int) Math.min(Integer.MAX_VALUE, config.enquireLinkInterval().toMillis()));
    s.setTransactionTimer(config.responseTimeout().toMillis());
    // Responses must not wait behind inbound messages blocked on the core, and the default queue
    // of 100 PDUs answers receipts with ESME_RTHROTTLED under load.
    s.setPduProcessorDegree(config.window() + 2);
    s.setQueueCapacity(Math.max(1000, config.window() * 100));
    s.setMessageReceiverListener(receiver);
    s.addSessionStateListener(
        (newState, oldState, source) -> {
          if (newState == SessionState.CLOSED || newState == SessionState.UNBOUND) {
            String why = newState == SessionState.UNBOUND ? "SMSC unbound" : "link closed";
            post(() -> lost(s, why));
          }
        });
    return s;
  }

  private BindParameter bindParameter() {
    return new BindParameter(
        role.bindType,
        config.systemId(),
        config.password(),
        config.systemType(),
        TypeOfNumber.UNKNOWN,
        NumberingPlanIndicator.UNKNOWN,
        null,
        InterfaceVersion.IF_34);
  }

  private void post(Runnable r) {
    try {
      supervisor.execute(r);
    } catch (RejectedExecutionException e) {
      // stopping: stop() closes the session itself
    }
  }

  private void setState(HealthState s, String why) {
    if (state == s && reason.equals(why)) {
      return;
    }
    state = s;
    reason = why;
    listener.onLinkState(this);
  }

  private static int negativeStatus(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof NegativeResponseException) {
        return ((NegativeResponseException) c).getCommandStatus();
      }
    }
    return -1;
  }
}
