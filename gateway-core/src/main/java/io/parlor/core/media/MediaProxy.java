package io.parlor.core.media;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.AttributeKey;
import io.parlor.core.config.GatewayConfig;
import io.parlor.core.http.Json;
import io.parlor.core.http.Responses;
import io.parlor.core.http.StreamingRoute;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.NetworkRegistry;
import io.parlor.core.store.Store;
import io.parlor.spi.MediaSource;
import io.parlor.spi.http.HttpRequest;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /media/{token}} (contract part 2, section 2): streams media held by a network from
 * its source, through the capability URL the node gave the recipient's network. An unknown and an
 * expired token get the same 404. The bytes pass through memory a chunk at a time (see {@link
 * MediaRelay}) and never touch disk; their size and SHA-256 are checked when known; at most {@code
 * media.maxBytes}; sources only at addresses {@link SafeAddresses} allows. Thread-safe.
 */
public final class MediaProxy implements StreamingRoute, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MediaProxy.class);
  private static final String PREFIX = "/media/";
  private static final AttributeKey<MediaRelay> RELAY = AttributeKey.valueOf("parlor.media.relay");

  /** Construction parameters. */
  public record Deps(
      Store store, NetworkRegistry networks, GatewayConfig.Media config, Clock clock, MeterRegistry meters) {}

  private final Deps d;
  private final ExecutorService resolver;
  private final MediaRelay.Settings settings;

  public MediaProxy(Deps deps) {
    this.d = deps;
    AtomicInteger n = new AtomicInteger();
    this.resolver = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "media-resolve-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    SslContext tls;
    try {
      tls = SslContextBuilder.forClient().build(); // the JDK's trust store
    } catch (SSLException e) {
      throw new IllegalStateException("no TLS client context", e);
    }
    this.settings =
        new MediaRelay.Settings(
            new SafeAddresses(deps.config().allowedPrivateRanges()), tls, resolver, deps.config().maxBytes(),
            deps.config().fetchTimeout().toMillis());
  }

  @Override
  public boolean handles(String path) {
    return path.startsWith(PREFIX);
  }

  @Override
  public void stream(ChannelHandlerContext ctx, HttpRequest request, boolean keepAlive, Runnable done) {
    if (!request.method().equals("GET")) {
      writeError(ctx, 405, "method_not_allowed", "use GET");
      return;
    }
    String token = request.path().substring(PREFIX.length());
    d.store()
        .read(c -> MediaLinks.find(c, token, d.clock().instant()))
        .thenCompose(link -> link.isEmpty() ? CompletableFuture.completedFuture(null) : locate(link.get()))
        .whenComplete(
            (found, err) -> ctx.executor().execute(() -> {
              if (err != null) {
                log.warn("media could not be looked up: {}", rootName(err));
                count("none", err instanceof java.util.concurrent.CompletionException ? "source_error" : "error", 0);
                writeError(ctx, 502, "bad_gateway", "the media could not be fetched from its source");
              } else if (found == null) {
                count("none", "unknown", 0);
                writeError(ctx, 404, "not_found", "no such media, or its link expired");
              } else {
                relay(ctx, found, keepAlive, done);
              }
            }));
  }

  private record Found(MediaLinks.Link link, MediaSource.MediaLocation location) {}

  /** Asks the source network's adapter where the bytes are. */
  private CompletionStage<Found> locate(MediaLinks.Link link) {
    Optional<MediaSource> source =
        d.networks().get(link.network()).flatMap(n -> n.adapter().feature(MediaSource.class));
    if (source.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalStateException("network has no media source"));
    }
    return source.get().locate(link.source()).thenApply(loc -> new Found(link, loc));
  }

  private void relay(ChannelHandlerContext ctx, Found f, boolean keepAlive, Runnable done) {
    String network = f.link().network().value();
    MediaRelay r =
        new MediaRelay(
            ctx, settings, f.link(), f.location(), keepAlive,
            () -> {
              ctx.channel().attr(RELAY).set(null);
              done.run();
            },
            (result, bytes) -> {
              count(network, result.name().toLowerCase(java.util.Locale.ROOT), bytes);
              if (result != MediaRelay.Result.OK && result != MediaRelay.Result.CLIENT_GONE) {
                log.info("media of network {} not relayed: {}", network, result.name().toLowerCase(java.util.Locale.ROOT));
              }
            });
    ctx.channel().attr(RELAY).set(r);
    r.start();
  }

  @Override
  public void writabilityChanged(ChannelHandlerContext ctx) {
    MediaRelay r = ctx.channel().attr(RELAY).get();
    if (r != null) {
      r.writabilityChanged();
    }
  }

  /** A JSON error answer, then the connection closes. */
  static void writeError(ChannelHandlerContext ctx, int status, String code, String message) {
    ctx.writeAndFlush(Responses.toNetty(Json.error(status, code, message), false))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private void count(String network, String outcome, long bytes) {
    Counter.builder(MetricNames.MEDIA_FETCHES)
        .description("media streamed through capability URLs, by outcome")
        .tag(MetricNames.TAG_NETWORK, network)
        .tag(MetricNames.TAG_OUTCOME, outcome)
        .register(d.meters())
        .increment();
    if (bytes > 0) {
      Counter.builder(MetricNames.MEDIA_BYTES)
          .description("bytes of media streamed through capability URLs")
          .baseUnit("bytes")
          .tag(MetricNames.TAG_NETWORK, network)
          .register(d.meters())
          .increment(bytes);
    }
  }

  private static String rootName(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName();
  }

  @Override
  public void close() {
    resolver.shutdownNow();
    try {
      resolver.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
