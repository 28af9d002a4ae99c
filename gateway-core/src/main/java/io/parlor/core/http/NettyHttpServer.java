package io.parlor.core.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The core's HTTP/1.1 server (Netty): keep-alive, body limit (413), read and idle timeouts,
 * JSON errors. Requests are handed to an {@link HttpDispatcher}; nothing here blocks an event
 * loop. Thread-safe.
 */
public final class NettyHttpServer implements AutoCloseable {
  private final HttpServerSettings settings;
  private final HttpDispatcher dispatcher;
  private final StreamingRoute streaming;
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final ConnectionLimits limits;
  private final io.micrometer.core.instrument.Counter timedOut;
  private Channel serverChannel;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  public NettyHttpServer(HttpServerSettings settings, HttpDispatcher dispatcher) {
    this(settings, dispatcher, null, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
  }

  /**
   * @param streaming a route whose answers are streamed (media), or null
   * @param meters where the connection metrics go
   */
  public NettyHttpServer(HttpServerSettings settings, HttpDispatcher dispatcher, StreamingRoute streaming,
      io.micrometer.core.instrument.MeterRegistry meters) {
    this.settings = settings;
    this.dispatcher = dispatcher;
    this.streaming = streaming;
    this.limits = new ConnectionLimits(
        settings.maxConnections(), settings.maxConnectionsPerClient(), settings.trustedProxies(), meters);
    this.timedOut = io.micrometer.core.instrument.Counter.builder(io.parlor.core.metrics.MetricNames.HTTP_REQUESTS_TIMED_OUT)
        .description("requests not received whole within http.requestDeadline or with a gap over http.readTimeout (408)")
        .register(meters);
  }

  /** Binds and returns the port. */
  public int start() throws InterruptedException {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            // the kernel caps it at net.core.somaxconn; under a flood of connects, a full queue drops
            // SYNs and a well-behaved client waits a second for its retransmission
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    channels.add(ch);
                    ch.pipeline().addLast(limits);
                    if (settings.tls() != null) {
                      // the context of the moment: a renewed certificate serves new connections
                      ch.pipeline().addLast(settings.tls().current().newHandler(ch.alloc()));
                    }
                    ch.pipeline()
                        .addLast(
                            new IdleStateHandler(
                                settings.readTimeout().toMillis(), 0,
                                settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                        .addLast(RequestStart.INSTANCE)
                        .addLast(new HttpServerCodec(4096, 16384, 16384))
                        .addLast(new ConnectionTimeouts(settings.requestDeadline(), settings.readTimeout(), timedOut))
                        .addLast(new LimitedAggregator(settings.maxBodyBytes()))
                        .addLast(new RequestHandler(dispatcher, streaming, settings.trustedProxies()));
                  }
                });
    serverChannel =
        b.bind(new InetSocketAddress(settings.bind(), settings.port())).sync().channel();
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** Stops accepting new connections; open ones keep being served. */
  public void stopAccepting() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
  }

  /**
   * Waits until no connection has a request it has not answered yet (an answer waits for its
   * commit), at most {@code limit}; true when none has. With {@link #stopAccepting} first, the
   * drain of a node that stops: what it accepted is answered before connections close.
   */
  public boolean awaitAnswered(Duration limit) {
    long until = System.nanoTime() + limit.toNanos();
    while (channels.stream().anyMatch(RequestHandler::busy)) {
      if (System.nanoTime() - until > 0) {
        return false;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }

  public void close(Duration grace) {
    if (closed.getAndSet(true)) {
      return;
    }
    stopAccepting();
    channels.close().awaitUninterruptibly(grace.toMillis());
    boss.shutdownGracefully(0, grace.toMillis(), TimeUnit.MILLISECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, grace.toMillis(), TimeUnit.MILLISECONDS).syncUninterruptibly();
  }
}
