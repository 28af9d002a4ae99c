package io.parlor.adapter.xmpp;

import io.parlor.spi.HealthState;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The component's link to the XMPP server (XEP-0114): connects, opens the stream in {@code
 * jabber:component:accept}, authenticates with the handshake ({@code SHA-1(stream id + secret)}),
 * then reads stanzas on its own thread and hands them to {@code onStanza}. Writes happen on one
 * writer thread, so no caller ever blocks on the socket. When the link breaks it reconnects with
 * exponential backoff; a refused handshake is reported as {@link HealthState#AUTH_FAILED} and
 * retried at the longest wait.
 */
final class ComponentLink {
  static final String STREAMS = "http://etherx.jabber.org/streams";
  static final String ACCEPT = "jabber:component:accept";
  private static final System.Logger LOG = System.getLogger(ComponentLink.class.getName());

  private final XmppConfig config;
  private final String name;
  private final Consumer<Xml.Element> onStanza;
  private final BiConsumer<HealthState, String> onHealth;
  private final ScheduledThreadPoolExecutor writer;
  private final AtomicInteger queued = new AtomicInteger();
  private volatile Thread reader;
  private volatile Socket socket;
  private volatile OutputStream out; // set once the handshake succeeded; written on the writer only
  private volatile boolean stopping;
  private volatile long lastRead = System.nanoTime();
  private boolean wasUp; // the current session got past the handshake (reader thread only)

  ComponentLink(XmppConfig config, String name, Consumer<Xml.Element> onStanza, BiConsumer<HealthState, String> onHealth) {
    this.config = config;
    this.name = name;
    this.onStanza = onStanza;
    this.onHealth = onHealth;
    this.writer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "parlor-xmpp-" + name + "-writer");
      t.setDaemon(true);
      return t;
    });
    writer.setRemoveOnCancelPolicy(true);
  }

  synchronized void start() {
    if (reader != null || stopping) {
      return;
    }
    reader = new Thread(this::run, "parlor-xmpp-" + name);
    reader.setDaemon(true);
    reader.start();
    long every = config.keepAlive().toNanos();
    writer.scheduleWithFixedDelay(() -> {
      if (out != null && System.nanoTime() - lastRead >= every) {
        // XEP-0199 to the component's own JID: the server routes it back, so an answer proves the
        // link works both ways (the reader answers it, and reading anything resets its timeout)
        String id = "ka-" + System.nanoTime();
        write("<iq type='get' id='" + id + "' from='" + Xml.escape(config.component()) + "' to='"
            + Xml.escape(config.component()) + "'><ping xmlns='urn:xmpp:ping'/></iq>");
      }
    }, every, every, TimeUnit.NANOSECONDS);
  }

  /** Stops reading and writing and closes the socket; waits up to {@code grace} for queued writes. */
  void stop(Duration grace) {
    synchronized (this) {
      if (stopping) {
        return;
      }
      stopping = true;
    }
    try {
      writer.execute(() -> write("</stream:stream>")); // after what was queued, on the writer only
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // never started
    }
    writer.shutdown();
    boolean drained = false;
    try {
      drained = writer.awaitTermination(Math.max(1, grace.toMillis()), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeQuietly(socket); // unblocks a writer stuck on a server that stopped reading, and the reader
    if (!drained) {
      writer.shutdownNow();
    }
    Thread r = reader;
    if (r != null) {
      r.interrupt();
      try {
        r.join(Math.max(100, grace.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stanzas waiting to be written. */
  int queued() {
    return queued.get();
  }

  boolean connected() {
    return out != null && !stopping;
  }

  /**
   * Writes a stanza. Completes once it was written to the socket; exceptionally with an {@link
   * IOException} when the link is down, or with {@link Full} when too much is waiting.
   */
  CompletableFuture<Void> send(Xml.Element stanza) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!connected()) {
      done.completeExceptionally(new IOException("the link to the XMPP server is down"));
      return done;
    }
    if (queued.incrementAndGet() > config.maxQueued()) {
      queued.decrementAndGet();
      done.completeExceptionally(new Full());
      return done;
    }
    String xml = stanza.toXml(ACCEPT);
    try {
      writer.execute(() -> {
        queued.decrementAndGet();
        if (write(xml)) {
          done.complete(null);
        } else {
          done.completeExceptionally(new IOException("the link to the XMPP server broke"));
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      queued.decrementAndGet();
      done.completeExceptionally(new IOException("the XMPP link is stopping"));
    }
    return done;
  }

  /** Too many stanzas wait to be written. */
  static final class Full extends IOException {
    private static final long serialVersionUID = 1L;

    Full() {
      super("too many stanzas wait to be written to the XMPP server");
    }
  }

  /** On the writer thread. */
  private boolean write(String xml) {
    OutputStream o = out;
    if (o == null) {
      return false;
    }
    try {
      o.write(xml.getBytes(StandardCharsets.UTF_8));
      o.flush();
      return true;
    } catch (IOException e) {
      closeQuietly(socket); // the reader sees it and reconnects
      return false;
    }
  }

  private void run() {
    Duration wait = config.reconnectMin();
    onHealth.accept(HealthState.STARTING, "connecting to " + config.host() + ":" + config.port());
    String episode = null; // what broke the link, logged once until it is up again
    while (!stopping) {
      String failure;
      HealthState state = HealthState.RECONNECTING;
      wasUp = false;
      try {
        session(episode);
        failure = "the XMPP server closed the stream";
      } catch (HandshakeRefused e) {
        failure = e.getMessage();
        state = HealthState.AUTH_FAILED;
        wait = config.reconnectMax();
      } catch (IOException e) {
        failure = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      } finally {
        out = null;
        closeQuietly(socket);
      }
      if (stopping) {
        break;
      }
      if (wasUp) {
        episode = null; // a new outage: its first failure is a warning again
        wait = config.reconnectMin(); // it was up: start over with short waits
      }
      onHealth.accept(state, failure);
      boolean first = episode == null || !episode.equals(state.name());
      LOG.log(first ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
          "xmpp " + name + ": " + failure + "; reconnecting in " + wait.toMillis() + " ms"
              + (first ? " (further attempts are logged at debug level)" : ""));
      episode = state.name();
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException e) {
        break;
      }
      Duration doubled = wait.multipliedBy(2);
      wait = doubled.compareTo(config.reconnectMax()) > 0 ? config.reconnectMax() : doubled;
    }
    onHealth.accept(HealthState.STOPPED, "stopped");
  }

  /** One connection, from connect to the end of the stream. */
  private void session(String episode) throws IOException {
    Socket s = new Socket();
    socket = s;
    if (stopping) {
      throw new IOException("stopping");
    }
    s.connect(new InetSocketAddress(config.host(), config.port()), 10_000);
    s.setTcpNoDelay(true);
    s.setSoTimeout(30_000); // the handshake must not hang
    OutputStream o = s.getOutputStream();
    o.write(("<?xml version='1.0'?><stream:stream xmlns='" + ACCEPT + "' xmlns:stream='" + STREAMS + "' to='"
        + Xml.escape(config.component()) + "'>").getBytes(StandardCharsets.UTF_8));
    o.flush();
    try (Xml.StreamReader in = new Xml.StreamReader(s.getInputStream())) {
      Xml.Element opened = in.open();
      String id = opened.attr("id");
      if (!"stream".equals(opened.name()) || id == null) {
        throw new IOException("the server did not open a component stream");
      }
      o.write(Xml.el("handshake", ACCEPT).text(handshake(id, config.secret())).build().toXml(ACCEPT)
          .getBytes(StandardCharsets.UTF_8));
      o.flush();
      Optional<Xml.Element> answer = in.next();
      if (answer.isEmpty()) {
        throw new IOException("the server closed the stream during the handshake");
      }
      if (answer.get().name().equals("error") && answer.get().ns().equals(STREAMS)) {
        String condition = condition(answer.get());
        if (condition.equals("not-authorized")) {
          throw new HandshakeRefused("the XMPP server refused the component secret (not-authorized)");
        }
        throw new IOException("the XMPP server refused the component: " + condition);
      }
      if (!answer.get().name().equals("handshake")) {
        throw new IOException("the server answered the handshake with <" + answer.get().name() + ">");
      }
      // A peer that vanished without a reset is found by reading: the keep-alive pings the
      // component itself through the server, whose answer comes back on this stream; nothing read
      // for three keep-alive periods ends the session.
      s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, config.keepAlive().toMillis() * 3));
      out = o;
      lastRead = System.nanoTime();
      wasUp = true;
      onHealth.accept(HealthState.CONNECTED, "");
      if (episode != null) {
        LOG.log(System.Logger.Level.INFO, "xmpp " + name + ": connected again to " + config.host() + ":" + config.port());
      }
      while (!stopping) {
        Optional<Xml.Element> stanza = in.next();
        if (stanza.isEmpty()) {
          return;
        }
        lastRead = System.nanoTime();
        Xml.Element st = stanza.get();
        if (st.name().equals("error") && st.ns().equals(STREAMS)) {
          throw new IOException("the XMPP server closed the stream: " + condition(st));
        }
        try {
          onStanza.accept(st);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "xmpp " + name + ": a <" + st.name() + "> stanza could not be handled: "
              + e.getClass().getSimpleName());
        }
      }
    }
  }

  /** The condition a {@code <stream:error>} names. */
  private static String condition(Xml.Element streamError) {
    return streamError.children().isEmpty() ? "unknown" : streamError.children().get(0).name();
  }

  /** The handshake refused the secret. */
  private static final class HandshakeRefused extends IOException {
    private static final long serialVersionUID = 1L;

    HandshakeRefused(String message) {
      super(message);
    }
  }

  static String handshake(String streamId, String secret) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(sha1.digest((streamId + secret).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void closeQuietly(Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // already closed
      }
    }
  }
}
