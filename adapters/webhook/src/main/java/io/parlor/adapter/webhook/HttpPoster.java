package io.parlor.adapter.webhook;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
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
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * A small HTTP/1.1 client for the webhook protocol's POSTs: keep-alive connections pooled per
 * origin (scheme, host, port) on one Netty event loop this adapter owns, at most {@code
 * maxConnections} per origin, further requests wait in order for a free connection. TLS for {@code
 * https} URLs with the JDK's trust store and host name verification. Thread-safe: {@link #post}
 * may be called from any thread and never blocks; all pool state lives on the event loop.
 *
 * <p>Why not the JDK's {@code HttpClient}: on the SMS benchmark's path every message produces a
 * status callback, and the JDK client took about 11 % of the node's CPU for them (async-profiler:
 * a selector thread plus executor hand-offs and two to three system calls per request); this
 * client writes each request with one system call and completes on the thread that read the
 * answer. See docs/benchmarks.md.
 *
 * <p>Failures: the request timeout covers waiting for a connection, connecting, sending and the
 * whole answer; it fails with {@link HttpTimeoutException} and closes the connection. A pooled
 * connection that the server closed while it was idle (the keep-alive race) is retried once on a
 * new connection if nothing of an answer arrived; every other I/O failure fails the request with
 * an {@link IOException}, for the caller's retry policy to decide (the webhook protocol's POSTs
 * carry an {@code Idempotency-Key}).
 */
final class HttpPoster implements AutoCloseable {
  /** An answer: the status code and the {@code Retry-After} header, if any. */
  record Answer(int status, String retryAfter) {}

  private static final AttributeKey<Pool> POOL = AttributeKey.valueOf("parlor.pool");
  private static final AttributeKey<Exchange> CURRENT = AttributeKey.valueOf("parlor.exchange");
  private static final int MAX_WAITING = 100_000;

  private final MultiThreadIoEventLoopGroup group;
  private final EventLoop loop;
  private final Duration timeout;
  private final int maxConnections;
  private final Duration idleTimeout;
  private final SslContext ssl;
  private final Map<String, Pool> pools = new HashMap<>(); // event loop only
  private volatile boolean closed;

  /**
   * @param ssl the TLS context for https origins (the JDK's default trust when built with {@code
   *     SslContextBuilder.forClient()}); only tests pass another
   */
  HttpPoster(String threadName, Duration timeout, int maxConnections, Duration idleTimeout, SslContext ssl) {
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(threadName, true), NioIoHandler.newFactory());
    this.loop = group.next();
    this.timeout = timeout;
    this.maxConnections = maxConnections;
    this.idleTimeout = idleTimeout;
    this.ssl = ssl;
  }

  /**
   * POSTs {@code body} to {@code url}. The future completes on this client's event loop with the
   * answer (any status), or fails with an {@link IOException} (timeout: {@link HttpTimeoutException}).
   *
   * @param headers extra request headers (name, value, name, value, ...)
   */
  CompletableFuture<Answer> post(URI url, byte[] body, String... headers) {
    CompletableFuture<Answer> out = new CompletableFuture<>();
    if (closed) {
      out.completeExceptionally(new IOException("HTTP client is closed"));
      return out;
    }
    Exchange ex = new Exchange(url, body, headers, out);
    try {
      loop.execute(() -> start(ex));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      out.completeExceptionally(new IOException("HTTP client is closed"));
    }
    return out;
  }

  /** Connections open to {@code url}'s origin right now (for tests and metrics). */
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
   * Stops taking requests, gives those in flight up to {@code grace} to be answered, then fails
   * what is left (in flight or waiting) with an {@link IOException} and closes every connection.
   */
  CompletableFuture<Void> close(Duration grace) {
    closed = true;
    CompletableFuture<Void> done = new CompletableFuture<>();
    long until = System.nanoTime() + grace.toNanos();
    try {
      loop.execute(() -> closeWhenQuiet(until, done));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      done.complete(null);
    }
    return done;
  }

  private void closeWhenQuiet(long until, CompletableFuture<Void> done) {
    boolean busy = false;
    for (Pool p : pools.values()) {
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
      for (Channel ch : java.util.List.copyOf(p.channels)) {
        ch.close();
      }
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).addListener(f -> done.complete(null));
  }

  // ------------------------------------------------------------------ on the event loop

  private void start(Exchange ex) {
    if (closed) {
      ex.fail(new IOException("HTTP client is closed"));
      return;
    }
    ex.timer = loop.schedule(() -> timedOut(ex), timeout.toNanos(), TimeUnit.NANOSECONDS);
    Pool pool = pools.computeIfAbsent(originKey(ex.url), k -> new Pool(ex.url));
    pool.dispatch(ex);
  }

  private void timedOut(Exchange ex) {
    if (ex.out.isDone()) {
      return;
    }
    ex.fail(new HttpTimeoutException("request timed out after " + timeout.toMillis() + " ms"));
    if (ex.channel != null) {
      ex.channel.close(); // its answer, if it ever comes, belongs to no one
    }
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
    ScheduledFuture<?> timer;
    Channel channel;
    boolean onReusedConnection;
    boolean retried;
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

    void succeed() {
      timer.cancel(false);
      out.complete(new Answer(status, retryAfter));
    }
  }

  /** The connections to one origin. Event loop only. */
  private final class Pool {
    final URI origin;
    final String host;
    final int port;
    final boolean tls;
    final String hostHeader;
    final ArrayDeque<Channel> idle = new ArrayDeque<>();
    final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
    final java.util.Set<Channel> channels = new java.util.HashSet<>();
    int open;

    Pool(URI url) {
      this.origin = url;
      this.host = url.getHost();
      this.port = port(url);
      this.tls = "https".equalsIgnoreCase(url.getScheme());
      this.hostHeader = url.getPort() > 0 ? host + ":" + url.getPort() : host;
    }

    void dispatch(Exchange ex) {
      while (!idle.isEmpty()) {
        Channel ch = idle.pollLast(); // the most recently used: least likely to have been closed
        if (ch.isActive()) {
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

    /** A connection became free (or a slot opened up): give it to the oldest waiting request. */
    void released(Channel ch) {
      for (Exchange next; (next = waiting.poll()) != null; ) {
        if (next.out.isDone()) {
          continue; // timed out while waiting
        }
        if (ch != null && ch.isActive()) {
          next.onReusedConnection = true;
          send(ch, next);
        } else if (open < maxConnections) {
          connect(next);
        } else {
          waiting.addFirst(next);
        }
        return;
      }
      if (ch != null && ch.isActive()) {
        idle.add(ch);
      }
    }

    void connect(Exchange ex) {
      open++;
      ChannelFuture cf =
          new Bootstrap()
              .group(loop)
              .channel(NioSocketChannel.class)
              .option(ChannelOption.TCP_NODELAY, true)
              .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
              .handler(
                  new ChannelInitializer<Channel>() {
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
                          .addLast(new HttpClientCodec())
                          .addLast(new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS))
                          .addLast(new AnswerHandler());
                    }
                  })
              .connect(host, port);
      cf.addListener(
          f -> {
            if (f.isSuccess()) {
              Channel ch = cf.channel();
              channels.add(ch);
              ch.closeFuture().addListener(c -> closed(ch));
              if (ex.out.isDone()) {
                released(ch); // timed out while connecting: someone else may use it
              } else {
                send(ch, ex);
              }
            } else {
              open--;
              Throwable cause = f.cause();
              IOException err =
                  cause instanceof IOException
                      ? (IOException) cause
                      : new ConnectException("could not connect to " + hostHeader + ": " + cause);
              ex.fail(err);
              released(null);
            }
          });
    }

    void send(Channel ch, Exchange ex) {
      if (ex.out.isDone()) {
        released(ch);
        return;
      }
      ex.channel = ch;
      ex.answerStarted = false;
      ch.attr(CURRENT).set(ex);
      String target = ex.url.getRawPath() == null || ex.url.getRawPath().isEmpty() ? "/" : ex.url.getRawPath();
      if (ex.url.getRawQuery() != null) {
        target += "?" + ex.url.getRawQuery();
      }
      FullHttpRequest req =
          new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, target, Unpooled.wrappedBuffer(ex.body));
      req.headers()
          .set(HttpHeaderNames.HOST, hostHeader)
          .set(HttpHeaderNames.CONTENT_LENGTH, ex.body.length)
          .set(HttpHeaderNames.USER_AGENT, "parlor");
      for (int i = 0; i + 1 < ex.headers.length; i += 2) {
        req.headers().set(ex.headers[i], ex.headers[i + 1]);
      }
      ch.writeAndFlush(req)
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  if (ex.cause == null) {
                    ex.cause = f.cause();
                  }
                  ch.close(); // closed() fails or retries the exchange
                }
              });
    }

    void closed(Channel ch) {
      open--;
      channels.remove(ch);
      idle.remove(ch);
      Exchange ex = ch.attr(CURRENT).getAndSet(null);
      if (ex != null && !ex.out.isDone()) {
        if (ex.onReusedConnection && !ex.answerStarted && !ex.retried && !closed) {
          // the server closed a kept-alive connection just as we reused it: one fresh try
          ex.retried = true;
          ex.onReusedConnection = false;
          ex.channel = null;
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
      ex.succeed();
      if (ex.keepAlive && ch.isActive()) {
        released(ch);
      } else {
        ch.close();
      }
    }
  }

  /** Reads one answer at a time; the body is discarded as it streams in. */
  private static final class AnswerHandler extends SimpleChannelInboundHandler<HttpObject> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      Channel ch = ctx.channel();
      Exchange ex = ch.attr(CURRENT).get();
      if (msg.decoderResult().isFailure()) {
        if (ex != null) {
          ex.answerStarted = true;
          ex.cause = new IOException("malformed HTTP answer: " + msg.decoderResult().cause().getMessage());
        }
        ctx.close();
        return;
      }
      if (ex == null) {
        ctx.close(); // an answer nobody asked for: the connection is out of step
        return;
      }
      if (msg instanceof HttpResponse) {
        HttpResponse r = (HttpResponse) msg;
        ex.answerStarted = true;
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof IdleStateEvent && ctx.channel().attr(CURRENT).get() == null) {
        ctx.close(); // idle too long: do not keep sockets open to every network forever
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
      ctx.close(); // Pool.closed fails (or retries) the exchange in flight
    }
  }
}
