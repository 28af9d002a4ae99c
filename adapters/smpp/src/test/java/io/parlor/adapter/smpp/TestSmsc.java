package io.parlor.adapter.smpp;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jsmpp.DefaultPDUReader;
import org.jsmpp.DefaultPDUSender;
import org.jsmpp.SynchronizedPDUSender;
import org.jsmpp.bean.BroadcastSm;
import org.jsmpp.bean.CancelBroadcastSm;
import org.jsmpp.bean.CancelSm;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.bean.QueryBroadcastSm;
import org.jsmpp.bean.QuerySm;
import org.jsmpp.bean.RawDataCoding;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.ReplaceSm;
import org.jsmpp.bean.SubmitMulti;
import org.jsmpp.bean.SubmitSm;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.session.BindRequest;
import org.jsmpp.session.BroadcastSmResult;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.QueryBroadcastSmResult;
import org.jsmpp.session.QuerySmResult;
import org.jsmpp.session.SMPPServerSession;
import org.jsmpp.session.ServerMessageReceiverListener;
import org.jsmpp.session.ServerResponseDeliveryAdapter;
import org.jsmpp.session.Session;
import org.jsmpp.session.SubmitMultiResult;
import org.jsmpp.session.SubmitSmResult;
import org.jsmpp.session.connection.socket.SocketConnection;
import org.jsmpp.util.MessageId;

/**
 * An in-process SMSC on jsmpp's server side, listening on 127.0.0.1 only, for the ITs and the
 * benchmark. Knobs are volatile fields the test sets; what it receives lands in queues.
 */
final class TestSmsc implements AutoCloseable {
  static final String SYSTEM_ID = "parlor";
  static final String PASSWORD = "secret";

  /** How submit_sm is answered. */
  enum Submit {
    OK,
    THROTTLE,
    HOLD,
    /** ESME_RINVDSTADR: an unknown destination, for good. */
    REJECT
  }

  /** When a receipt is sent for an accepted submit_sm. */
  enum Receipts {
    NONE,
    /** deliver_sm (decimal id in the text) before the submit_sm_resp (hex id). */
    BEFORE_RESP,
    /** deliver_sm (hex id in receipted_message_id) after the submit_sm_resp. */
    AFTER_RESP
  }

  volatile Submit submit = Submit.OK;
  /** When set, how the next submit_sm only is answered. */
  final java.util.concurrent.atomic.AtomicReference<Submit> next = new java.util.concurrent.atomic.AtomicReference<>();
  volatile Receipts receipts = Receipts.NONE;
  volatile String password = PASSWORD;
  final LinkedBlockingQueue<Received> submits = new LinkedBlockingQueue<>();
  final AtomicInteger binds = new AtomicInteger();
  final AtomicInteger held = new AtomicInteger();
  private volatile CountDownLatch release = new CountDownLatch(1);
  private final ServerSocket server;
  private final List<Live> sessions = new CopyOnWriteArrayList<>();
  private final AtomicInteger ids = new AtomicInteger(0xA1B200);
  private final ExecutorService workers = Executors.newCachedThreadPool(daemon("test-smsc-worker"));
  private final Thread acceptor;

  private record Live(SMPPServerSession session, SilenceableSender sender, Socket socket) {}

  /** A submit_sm and the id it was answered with (null when refused). */
  record Received(SubmitSm sm, String id) {}

  TestSmsc() throws IOException {
    this(0);
  }

  /** An SMSC on {@code port} (0: any free one), e.g. the same port again after a restart. */
  TestSmsc(int port) throws IOException {
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    acceptor = new Thread(this::acceptLoop, "test-smsc-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Lets held submits be answered. */
  void releaseHeld() {
    release.countDown();
    release = new CountDownLatch(1);
  }

  /** Stops answering anything, enquire_link included, on the current sessions. */
  void silence() {
    sessions.forEach(l -> l.sender().silent = true);
  }

  /** Closes every connection abruptly (no unbind). */
  void dropConnections() throws IOException {
    for (Live l : sessions) {
      l.socket().close();
    }
  }

  int boundSessions() {
    int n = 0;
    for (Live l : sessions) {
      n += l.session().getSessionState().isBound() ? 1 : 0;
    }
    return n;
  }

  /**
   * Sends a deliver_sm on the newest bound session and waits for the deliver_sm_resp. Returns its
   * command_status.
   */
  int deliver(String src, String dst, int esmClass, int dataCoding, byte[] sm, OptionalParameter... tlvs)
      throws Exception {
    SMPPServerSession s = newestBound();
    try {
      s.deliverShortMessage("", TypeOfNumber.INTERNATIONAL, NumberingPlanIndicator.ISDN, src,
          TypeOfNumber.UNKNOWN, NumberingPlanIndicator.ISDN, dst, new ESMClass(esmClass), (byte) 0, (byte) 0,
          new RegisteredDelivery(0), new RawDataCoding((byte) dataCoding), sm, tlvs);
      return 0;
    } catch (NegativeResponseException e) {
      return e.getCommandStatus();
    }
  }

  /** The ids of the server's sessions (their threads' names end with them). */
  List<String> serverSessionIds() {
    return sessions.stream().map(l -> l.session().getSessionId()).toList();
  }

  /** Sends a delivery receipt (receipted_message_id) for an accepted submit_sm. */
  void receiptFor(Received r) {
    sendReceipt(newestBound(), r.sm(), r.id(), true);
  }

  SMPPServerSession newestBound() {
    for (int i = sessions.size() - 1; i >= 0; i--) {
      if (sessions.get(i).session().getSessionState().isReceivable()) {
        return sessions.get(i).session();
      }
    }
    throw new IllegalStateException("no bound session");
  }

  @Override
  public void close() throws IOException {
    releaseHeld();
    server.close();
    for (Live l : sessions) {
      l.session().close();
    }
    workers.shutdownNow();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        socket.setTcpNoDelay(true);
        workers.execute(() -> serve(socket));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try {
      SocketConnection conn = new SocketConnection(socket);
      conn.setSoTimeout(5000);
      SilenceableSender sender = new SilenceableSender();
      SMPPServerSession session = new SMPPServerSession(conn, (n, o, s) -> {}, new Listener(),
          new AfterResp(), 8, 10_000, new SynchronizedPDUSender(sender), new DefaultPDUReader());
      session.setTransactionTimer(10_000);
      sessions.add(new Live(session, sender, socket));
      BindRequest bind = session.waitForBind(5000);
      if (SYSTEM_ID.equals(bind.getSystemId()) && password.equals(bind.getPassword())) {
        bind.accept("test-smsc");
        binds.incrementAndGet();
      } else {
        bind.reject(0x0E);
      }
    } catch (Exception e) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing
      }
    }
  }

  private String nextId() {
    return Integer.toHexString(ids.incrementAndGet()).toUpperCase(java.util.Locale.ROOT);
  }

  private void sendReceipt(SMPPServerSession s, SubmitSm sm, String id, boolean tlv) {
    String text = "id:" + (tlv ? id : Long.toString(Long.parseLong(id, 16))) + " sub:001 dlvrd:001 "
        + "submit date:2611291000 done date:2611291001 stat:DELIVRD err:000 text:";
    OptionalParameter[] tlvs = tlv
        ? new OptionalParameter[] {new OptionalParameter.Receipted_message_id(id),
            new OptionalParameter.Message_state((byte) 2)}
        : new OptionalParameter[0];
    try {
      s.deliverShortMessage("", TypeOfNumber.INTERNATIONAL, NumberingPlanIndicator.ISDN, sm.getDestAddress(),
          TypeOfNumber.UNKNOWN, NumberingPlanIndicator.ISDN, sm.getSourceAddr(), new ESMClass(0x04), (byte) 0,
          (byte) 0, new RegisteredDelivery(0), new RawDataCoding((byte) 0),
          text.getBytes(StandardCharsets.US_ASCII), tlvs);
    } catch (Exception e) {
      // the test sees the missing receipt
    }
  }

  private final class Listener implements ServerMessageReceiverListener {
    @Override
    public SubmitSmResult onAcceptSubmitSm(SubmitSm sm, SMPPServerSession s) throws ProcessRequestException {
      Submit once = next.getAndSet(null);
      Submit mode = once != null ? once : submit;
      if (mode == Submit.REJECT) {
        submits.add(new Received(sm, null));
        throw new ProcessRequestException("invalid destination address", 0x0B);
      }
      if (mode == Submit.THROTTLE) {
        submits.add(new Received(sm, null));
        throw new ProcessRequestException("throttled", 0x58);
      }
      if (mode == Submit.HOLD) {
        held.incrementAndGet();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      String id = nextId();
      submits.add(new Received(sm, id));
      if (receipts == Receipts.BEFORE_RESP) {
        sendReceipt(s, sm, id, false);
      }
      try {
        return new SubmitSmResult(new MessageId(id), new OptionalParameter[0]);
      } catch (org.jsmpp.PDUStringException e) {
        throw new ProcessRequestException("bad id", 0x08);
      }
    }

    @Override
    public SubmitMultiResult onAcceptSubmitMulti(SubmitMulti m, SMPPServerSession s) throws ProcessRequestException {
      throw new ProcessRequestException("unsupported", 0x03);
    }

    @Override
    public QuerySmResult onAcceptQuerySm(QuerySm q, SMPPServerSession s) throws ProcessRequestException {
      throw new ProcessRequestException("unsupported", 0x03);
    }

    @Override
    public void onAcceptReplaceSm(ReplaceSm r, SMPPServerSession s) throws ProcessRequestException {
      throw new ProcessRequestException("unsupported", 0x03);
    }

    @Override
    public void onAcceptCancelSm(CancelSm c, SMPPServerSession s) throws ProcessRequestException {
      throw new ProcessRequestException("unsupported", 0x03);
    }

    @Override
    public BroadcastSmResult onAcceptBroadcastSm(BroadcastSm b, SMPPServerSession s) throws ProcessRequestException {
      throw new ProcessRequestException("unsupported", 0x03);
    }

    @Override
    public void onAcceptCancelBroadcastSm(CancelBroadcastSm c, SMPPServerSession s) throws ProcessRequestException {
      throw new ProcessRequestException("unsupported", 0x03);
    }

    @Override
    public QueryBroadcastSmResult onAcceptQueryBroadcastSm(QueryBroadcastSm q, SMPPServerSession s)
        throws ProcessRequestException {
      throw new ProcessRequestException("unsupported", 0x03);
    }

    @Override
    public DataSmResult onAcceptDataSm(DataSm d, Session s) throws ProcessRequestException {
      throw new ProcessRequestException("unsupported", 0x03);
    }
  }

  private final class AfterResp extends ServerResponseDeliveryAdapter {
    @Override
    public void onSubmitSmRespSent(SubmitSmResult result, SMPPServerSession s) {
      if (receipts != Receipts.AFTER_RESP) {
        return;
      }
      SubmitSm sm = new SubmitSm();
      sm.setSourceAddr("12345");
      sm.setDestAddress("447700900123");
      workers.execute(() -> sendReceipt(s, sm, result.getMessageId(), true));
    }
  }

  /** Can stop answering enquire_link (a silent SMSC). */
  static final class SilenceableSender extends DefaultPDUSender {
    volatile boolean silent;

    @Override
    public byte[] sendEnquireLinkResp(OutputStream os, int sequenceNumber) throws IOException {
      return silent ? new byte[0] : super.sendEnquireLinkResp(os, sequenceNumber);
    }
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
