package io.parlor.adapter.webhook;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * A small HTTP/1.1 client for the webhook protocol's POSTs: keep-alive connections pooled per
 * origin (scheme, host, port) on one Netty event loop this adapter owns, at most {@code
 * maxConnections} per origin; further requests wait in order for a free connection. TLS for {@code
 * https} URLs with the JDK's trust store and host name verification. Thread-safe: {@link #post}
 * may be called from any thread and never blocks; pool state is only touched on the event loop.
 * Host names are resolved on two resolver threads of this client (a slow DNS server must not stall
 * the event loop); IP literals are used as they are.
 *
 * <p>Why not the JDK's {@code HttpClient}: on the SMS benchmark's path every message produces a
 * status callback, and the JDK client took about 11 % of the node's CPU for them (async-profiler:
 * a selector thread plus executor hand-offs and two to three system calls per request); this one
 * took 5 %. See docs/benchmarks.md.
 *
 * <p>Failures: the request timeout covers waiting for a connection, resolving, connecting, sending
 * and the whole answer; it fails with {@link HttpTimeoutException} and closes the connection. A
 * pooled connection that the server closed while it was idle (the keep-alive race) is retried once
 * on a new connection if not a single byte of an answer arrived on it; every other I/O failure
 * fails the request with an {@link IOException}, for the caller's retry policy to decide (the
 * webhook protocol's deliveries carry an {@code Idempotency-Key}). Answers whose body ends with the
 * connection (no length, {@code Connection: close} or HTTP/1.0) are complete answers.
 */
final class HttpPoster implements AutoCloseable {
  /** An answer: the status code and the {@code Retry-After} header, if any. */
  record Answer(int status, String retryAfter) {}

  private static final AttributeKey<Pool> POOL = AttributeKey.valueOf("parlor.pool");
  private static final AttributeKey<Exchange> CURRENT = AttributeKey.valueOf("parlor.exchange");
  private static final AttributeKey<Boolean> CLOSING = AttributeKey.valueOf("parlor.closing");
  private static final int MAX_WAITING = 100_000;

  private final MultiThreadIoEventLoopGroup group;
  private final EventLoop loop;
  private final ThreadPoolExecutor resolver;
  private final Duration timeout;
  private final int maxConnections;
  private final Duration idleTimeout;
  private final SslContext ssl;
  private final Map<String, Pool> pools = new HashMap<>(); // event loop only
  private volatile boolean closed;

  /**
   * @param ssl the TLS context for https origins ({@link Tls#clientContext()}: the JDK's default
   *     trust); only tests pass another
   */
  HttpPoster(String threadName, Duration timeout, int maxConnections, Duration idleTimeout, SslContext ssl) {
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(threadName, true), NioIoHandler.newFactory());
    this.loop = group.next();
    this.resolver =
        new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
            new DefaultThreadFactory(threadName + "-dns", true));
    this.resolver.allowCoreThreadTimeOut(true);
    this.timeout = timeout;
    this.maxConnections = maxConnections;
    this.idleTimeout = idleTimeout;
    this.ssl = ssl;
  }

  /**
   * POSTs {@code body} to {@code url} (http or https). The future completes with the answer (any
   * status), or fails with an {@link IOException} (timeout: {@link HttpTimeoutException}); it
   * completes on this client's event loop, except when the request is refused at once (client
   * closed, invalid URL), then on the caller's thread.
   *
   * @param headers extra request headers (name, value, name, value, ...)
   */
  CompletableFuture<Answer> post(URI url, byte[] body, String... headers) {
    CompletableFuture<Answer> out = new CompletableFuture<>();
    if (closed) {
      out.completeExceptionally(new IOException("HTTP client is closed"));
      return out;
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null || url.getPort() > 65535) {
      out.completeExceptionally(new IOException("not a usable http(s) URL: " + url));
      return out;
    }
    Exchange ex = new Exchange(url, body, headers, out);
    try {
      loop.execute(() -> start(ex));
    } catch (RejectedExecutionException e) {
      out.completeExceptionally(new IOException("HTTP client is closed"));
    }
    return out;
  }

  /** Connections open (or opening) to {@code url}'s origin right now (for tests and metrics). */
  CompletableFuture<Integer> openConnections(URI url) {
    CompletableFuture<Integer> out = new CompletableFuture<>();
    loop.execute(() -> {
      Pool p = pools.get(originKey(url));
      out.complete(p == null ? 0 : p.open);
    });
    return out;
  }

  /** Closes at once: requests in flight or waiting fail with an {@link IOException}. */
  @Override
  public void close() {
    CompletableFuture<Void> done = close(Duration.ZERO);
    if (!loop.inEventLoop()) {
      done.join();
    }
  }

  /**
   * Takes no new requests and puts nothing more on the wire: requests waiting for a connection fail
   * with an {@link IOException} at once, those still connecting as soon as their connection opens
   * or fails; those in flight get up to {@code grace} to be answered. Then whatever is left fails
   * too and every connection is closed.
   */
  CompletableFuture<Void> close(Duration grace) {
    closed = true;
    CompletableFuture<Void> done = new CompletableFuture<>();
    long until = System.nanoTime() + grace.toNanos();
    try {
      loop.execute(() -> {
        for (Pool p : pools.values()) {
          for (Exchange ex; (ex = p.waiting.poll()) != null; ) {
            ex.fail(new IOException("HTTP client is closed"));
          }
        }
        closeWhenQuiet(until, done);
      });
    } catch (RejectedExecutionException e) {
      done.complete(null);
    }
    return done;
  }

  private void closeWhenQuiet(long until, CompletableFuture<Void> done) {
    boolean busy = false;
    for (Pool p : pools.values()) {
      busy |= !p.connecting.isEmpty(); // they fail as soon as they connect (or not)
      for (Channel ch : p.channels) {
        busy |= ch.attr(CURRENT).get() != null;
      }
    }
    if (busy && System.nanoTime() < until) {
      loop.schedule(() -> closeWhenQuiet(until, done), 20, TimeUnit.MILLISECONDS);
      return;
    }
    for (Pool p : pools.values()) {
      for (Exchange ex; (ex = p.waiting.poll()) != null; ) {
        ex.fail(new IOException("HTTP client is closed"));
      }
      for (Exchange ex : p.connecting) { // e.g. a name still resolving: its answer would find no loop
        ex.fail(new IOException("HTTP client is closed"));
      }
      for (Channel ch : List.copyOf(p.channels)) {
        closeChannel(ch);
      }
    }
    resolver.shutdownNow();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).addListener(f -> done.complete(null));
  }

  // ------------------------------------------------------------------ on the event loop

  private void start(Exchange ex) {
    if (closed) {
      ex.fail(new IOException("HTTP client is closed"));
      return;
    }
    ex.deadline = System.nanoTime() + timeout.toNanos();
    ex.timer = loop.schedule(() -> timedOut(ex), timeout.toNanos(), TimeUnit.NANOSECONDS);
    Pool pool = pools.computeIfAbsent(originKey(ex.url), k -> new Pool(ex.url));
    pool.dispatch(ex);
  }

  private void timedOut(Exchange ex) {
    if (!ex.out.isDone()) {
      ex.fail(new HttpTimeoutException("request timed out after " + timeout.toMillis() + " ms"));
    }
    Channel ch = ex.channel;
    if (ch != null && ch.attr(CURRENT).get() == ex) {
      closeChannel(ch); // its answer, if it ever comes, belongs to no one
    }
  }

  /** Closes {@code ch} and marks it so that nobody reuses it while it closes (TLS close_notify). */
  private static void closeChannel(Channel ch) {
    ch.attr(CLOSING).set(Boolean.TRUE);
    ch.close();
  }

  private static boolean reusable(Channel ch) {
    return ch != null && ch.isActive() && ch.attr(CLOSING).get() == null;
  }

  private static String originKey(URI url) {
    return url.getScheme().toLowerCase(Locale.ROOT) + "://" + url.getHost().toLowerCase(Locale.ROOT) + ":" + port(url);
  }

  private static int port(URI url) {
    if (url.getPort() > 0) {
      return url.getPort();
    }
    return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
  }

  /** One request and its answer. Fields are touched on the event loop only. */
  private static final class Exchange {
    final URI url;
    final byte[] body;
    final String[] headers;
    final CompletableFuture<Answer> out;
    long deadline;
    ScheduledFuture<?> timer;
    Channel channel;
    boolean onReusedConnection;
    boolean retried;
    /** Any byte of an answer arrived on the current connection. */
    boolean answerStarted;
    Throwable cause;
    int status;
    String retryAfter;
    boolean keepAlive;

    Exchange(URI url, byte[] body, String[] headers, CompletableFuture<Answer> out) {
      this.url = url;
      this.body = body;
      this.headers = headers;
      this.out = out;
    }

    void fail(Throwable t) {
      if (timer != null) {
        timer.cancel(false);
      }
      out.completeExceptionally(t);
    }

    boolean succeed() {
      timer.cancel(false);
      return out.complete(new Answer(status, retryAfter));
    }
  }

  /** The connections to one origin. Event loop only. */
  private final class Pool {
    final String host;
    final int port;
    final boolean tls;
    final String hostHeader;
    final ArrayDeque<Channel> idle = new ArrayDeque<>();
    final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
    final Set<Channel> channels = new HashSet<>();
    /** Connections open or being opened (resolving, connecting): never above maxConnections. */
    int open;
    /** Exchanges whose connection is being opened. */
    final Set<Exchange> connecting = new HashSet<>();

    Pool(URI url) {
      this.host = url.getHost();
      this.port = port(url);
      this.tls = "https".equalsIgnoreCase(url.getScheme());
      this.hostHeader = url.getPort() > 0 ? host + ":" + url.getPort() : host;
    }

    void dispatch(Exchange ex) {
      while (!idle.isEmpty()) {
        Channel ch = idle.pollLast(); // the most recently used: least likely to have been closed
        if (reusable(ch)) {
          ex.onReusedConnection = true;
          send(ch, ex);
          return;
        }
      }
      if (open < maxConnections) {
        connect(ex);
      } else if (waiting.size() >= MAX_WAITING) {
        ex.fail(new IOException("too many requests waiting for a connection to " + hostHeader));
      } else {
        waiting.add(ex);
      }
    }

    /** A connection became free, or (null) a slot opened up: serve the oldest waiting request. */
    void released(Channel ch) {
      if (closed) {
        if (ch != null) {
          closeChannel(ch);
        }
        return;
      }
      for (Exchange next; (next = waiting.poll()) != null; ) {
        if (next.out.isDone()) {
          continue; // timed out while waiting
        }
        if (reusable(ch)) {
          next.onReusedConnection = true;
          send(ch, next);
        } else if (open < maxConnections) {
          connect(next);
        } else {
          waiting.addFirst(next);
        }
        return;
      }
      if (reusable(ch)) {
        idle.add(ch);
      }
    }

    void connect(Exchange ex) {
      open++;
      connecting.add(ex);
      ex.channel = null;
      ex.onReusedConnection = false;
      // IP literals as they are; names are resolved off the event loop (InetAddress blocks)
      byte[] literal = NetUtil.createByteArrayFromIpAddressString(stripBrackets(host));
      if (literal != null) {
        try {
          connectTo(ex, new InetSocketAddress(InetAddress.getByAddress(host, literal), port));
        } catch (UnknownHostException impossible) {
          connectFailed(ex, impossible);
        }
        return;
      }
      try {
        resolver.execute(() -> {
          InetSocketAddress address;
          try {
            address = new InetSocketAddress(InetAddress.getByName(host), port);
          } catch (UnknownHostException | RuntimeException e) {
            onLoop(() -> connectFailed(ex, e));
            return;
          }
          onLoop(() -> connectTo(ex, address));
        });
      } catch (RejectedExecutionException closing) {
        connectFailed(ex, new IOException("HTTP client is closed"));
      }
    }

    private void onLoop(Runnable r) {
      try {
        loop.execute(r);
      } catch (RejectedExecutionException closing) {
        // the client has shut down: its exchanges have been failed
      }
    }

    void connectTo(Exchange ex, InetSocketAddress address) {
      if (closed || ex.out.isDone()) {
        connectFailed(ex, new IOException(closed ? "HTTP client is closed" : "timed out"));
        return;
      }
      long remaining = Math.max(1, TimeUnit.NANOSECONDS.toMillis(ex.deadline - System.nanoTime()));
      ChannelFuture cf;
      try {
        cf = new Bootstrap()
            .group(loop)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, remaining))
            .handler(new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.attr(POOL).set(Pool.this);
                if (tls) {
                  SslHandler h = ssl.newHandler(ch.alloc(), host, port);
                  SSLEngine engine = h.engine();
                  SSLParameters params = engine.getSSLParameters();
                  params.setEndpointIdentificationAlgorithm("HTTPS");
                  engine.setSSLParameters(params);
                  ch.pipeline().addLast(h);
                }
                ch.pipeline()
                    .addLast(new AnswerBytes())
                    .addLast(new HttpClientCodec())
                    .addLast(new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS))
                    .addLast(new AnswerHandler());
              }
            })
            .connect(address);
      } catch (RuntimeException e) {
        connectFailed(ex, e);
        return;
      }
      cf.addListener(f -> {
        if (!loop.inEventLoop()) {
          // a channel that could not even be created reports on another executor
          onLoop(() -> connected(ex, cf));
        } else {
          connected(ex, cf);
        }
      });
    }

    private void connected(Exchange ex, ChannelFuture cf) {
      if (!cf.isSuccess()) {
        connectFailed(ex, cf.cause());
        return;
      }
      connecting.remove(ex);
      Channel ch = cf.channel();
      channels.add(ch);
      ch.closeFuture().addListener(c -> gone(ch));
      if (!ch.isActive()) {
        ex.fail(new IOException("connection to " + hostHeader + " closed as soon as it opened"));
      } else if (closed) {
        ex.fail(new IOException("HTTP client is closed"));
        closeChannel(ch);
      } else if (ex.out.isDone()) {
        released(ch); // timed out while connecting: someone else may use it
      } else {
        send(ch, ex);
      }
    }

    private void connectFailed(Exchange ex, Throwable cause) {
      open--;
      connecting.remove(ex);
      ex.fail(cause instanceof IOException
          ? cause
          : new ConnectException("could not connect to " + hostHeader + ": " + cause));
      released(null);
    }

    void send(Channel ch, Exchange ex) {
      if (closed) {
        ex.fail(new IOException("HTTP client is closed"));
        closeChannel(ch);
        return;
      }
      if (ex.out.isDone()) {
        loop.execute(() -> released(ch)); // later: no recursion through a long queue
        return;
      }
      FullHttpRequest req;
      try {
        String target = ex.url.getRawPath() == null || ex.url.getRawPath().isEmpty() ? "/" : ex.url.getRawPath();
        if (ex.url.getRawQuery() != null) {
          target += "?" + ex.url.getRawQuery();
        }
        req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, target, Unpooled.wrappedBuffer(ex.body));
        req.headers()
            .set(HttpHeaderNames.HOST, hostHeader)
            .set(HttpHeaderNames.CONTENT_LENGTH, ex.body.length)
            .set(HttpHeaderNames.USER_AGENT, "parlor");
        for (int i = 0; i + 1 < ex.headers.length; i += 2) {
          req.headers().set(ex.headers[i], ex.headers[i + 1]);
        }
      } catch (RuntimeException e) { // e.g. a header value with a line break
        ex.fail(new IOException("request could not be built: " + e.getMessage(), e));
        loop.execute(() -> released(ch)); // later: no recursion through a long queue
        return;
      }
      ex.channel = ch;
      ex.answerStarted = false;
      ch.attr(CURRENT).set(ex);
      ch.writeAndFlush(req).addListener(f -> {
        if (!f.isSuccess()) {
          if (ex.cause == null) {
            ex.cause = f.cause();
          }
          closeChannel(ch); // lost() fails or retries the exchange
        }
      });
    }

    /** The connection's close future completed: bookkeeping only (the exchange: {@link #lost}). */
    void gone(Channel ch) {
      open--;
      channels.remove(ch);
      idle.remove(ch);
      if (ch.attr(CURRENT).get() == null) {
        released(null);
      }
    }

    /**
     * The connection went inactive. Runs after the HTTP decoder saw the end of the stream, so an
     * answer delimited by the close has been completed by then.
     */
    void lost(Channel ch) {
      Exchange ex = ch.attr(CURRENT).getAndSet(null);
      if (ex == null) {
        return;
      }
      if (!ex.out.isDone()) {
        if (ex.onReusedConnection && !ex.answerStarted && !ex.retried && !closed) {
          // the server closed a kept-alive connection just as we reused it: one fresh try
          ex.retried = true;
          ex.cause = null;
          if (open < maxConnections) {
            connect(ex);
          } else {
            waiting.addFirst(ex);
          }
          return;
        }
        String why = closed ? "the HTTP client closed" : "closed before the whole answer arrived";
        IOException err = new IOException("connection to " + hostHeader + " " + why
            + (ex.cause == null ? "" : ": " + ex.cause.getClass().getSimpleName() + ": " + ex.cause.getMessage()));
        if (ex.cause != null) {
          err.initCause(ex.cause);
        }
        ex.fail(ex.cause instanceof IOException && !closed ? ex.cause : err);
      }
      released(null);
    }

    void answered(Channel ch, Exchange ex) {
      ch.attr(CURRENT).set(null);
      ex.channel = null;
      boolean ours = ex.succeed();
      if (ours && ex.keepAlive && reusable(ch)) {
        released(ch);
      } else {
        closeChannel(ch); // not kept alive, or answered after it timed out
      }
    }
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** Notes that bytes of an answer arrived (before the decoder has a whole response head). */
  private static final class AnswerBytes extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf && ((ByteBuf) msg).isReadable()) {
        Exchange ex = ctx.channel().attr(CURRENT).get();
        if (ex != null) {
          ex.answerStarted = true;
        }
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** Reads one answer at a time; the body is discarded as it streams in. */
  private static final class AnswerHandler extends SimpleChannelInboundHandler<HttpObject> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      Channel ch = ctx.channel();
      Exchange ex = ch.attr(CURRENT).get();
      if (msg.decoderResult().isFailure()) {
        if (ex != null && ex.cause == null) {
          ex.cause = new IOException("malformed HTTP answer: " + msg.decoderResult().cause().getMessage());
        }
        closeChannel(ch);
        return;
      }
      if (ex == null) {
        closeChannel(ch); // an answer nobody asked for: the connection is out of step
        return;
      }
      if (msg instanceof HttpResponse) {
        HttpResponse r = (HttpResponse) msg;
        ex.status = r.status().code();
        ex.retryAfter = r.headers().get(HttpHeaderNames.RETRY_AFTER);
        ex.keepAlive = HttpUtil.isKeepAlive(r);
      }
      if (msg instanceof LastHttpContent) {
        if (HttpStatusClass.valueOf(ex.status) == HttpStatusClass.INFORMATIONAL) {
          return; // e.g. an unasked-for 100 Continue: the real answer follows
        }
        ch.attr(POOL).get().answered(ch, ex);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      ctx.channel().attr(POOL).get().lost(ctx.channel());
      super.channelInactive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof IdleStateEvent && ctx.channel().attr(CURRENT).get() == null) {
        closeChannel(ctx.channel()); // idle too long: do not keep sockets open to every network forever
        return;
      }
      if (evt instanceof SslHandshakeCompletionEvent && !((SslHandshakeCompletionEvent) evt).isSuccess()) {
        Exchange ex = ctx.channel().attr(CURRENT).get();
        if (ex != null && ex.cause == null) {
          ex.cause = ((SslHandshakeCompletionEvent) evt).cause(); // e.g. untrusted certificate, wrong host
        }
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Exchange ex = ctx.channel().attr(CURRENT).get();
      if (ex != null && ex.cause == null) {
        ex.cause = cause;
      }
      closeChannel(ctx.channel()); // lost() fails (or retries) the exchange in flight
    }
  }
}
