package io.parlor.core.media;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.parlor.spi.MediaSource;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Streams one media item from its source to one client, with backpressure: the source is read
 * only while the client's connection can take more, so at most a chunk or two is in memory,
 * whatever the size, and nothing is written to disk. Counts bytes and hashes them on the way; one
 * chunk is held back until the source has ended, so that a wrong size or SHA-256 ends the answer
 * short (the client sees a broken transfer, never a complete wrong file).
 *
 * <p>The source connection lives on the client connection's event loop: everything here is
 * confined to that thread, except the name resolution, which runs on the given executor.
 */
final class MediaRelay {
  /** Most redirects followed (each checked like the first URL). */
  static final int MAX_REDIRECTS = 3;

  /** What happened, for the metric (no identifiers). */
  enum Result {
    OK,
    REFUSED_ADDRESS,
    SOURCE_ERROR,
    TOO_LARGE,
    MISMATCH,
    TIMEOUT,
    CLIENT_GONE
  }

  /** Settings shared by every relay. */
  record Settings(SafeAddresses addresses, SslContext tls, Executor resolver, long maxBytes, long timeoutMillis) {}

  /** Hears how a relay ended. */
  interface Listener {
    void ended(Result result, long bytes);
  }

  private final ChannelHandlerContext down;
  private final Settings settings;
  private final MediaLinks.Link link;
  private final MediaSource.MediaLocation location;
  private final boolean keepAlive;
  private final Runnable done;
  private final Listener listener;
  private final MessageDigest digest = sha256();
  private final Long expectedSize;
  private final String expectedHash;

  private Channel up;
  private URI current;
  private ByteBuf held;
  private boolean headersSent;
  private boolean ended;
  private long bytes;
  private long limit;
  private int redirects;
  private ScheduledFuture<?> timeout;
  /** Ends the relay when the client's connection closes; removed when the relay ends. */
  private final io.netty.channel.ChannelFutureListener clientGone;

  MediaRelay(
      ChannelHandlerContext down,
      Settings settings,
      MediaLinks.Link link,
      MediaSource.MediaLocation location,
      boolean keepAlive,
      Runnable done,
      Listener listener) {
    this.down = down;
    this.settings = settings;
    this.link = link;
    this.location = location;
    this.keepAlive = keepAlive;
    this.done = done;
    this.listener = listener;
    this.expectedSize = link.size() != null ? link.size() : location.size();
    this.expectedHash = link.sha256() != null ? link.sha256() : location.sha256();
    this.limit = expectedSize != null ? Math.min(expectedSize, settings.maxBytes()) : settings.maxBytes();
    this.clientGone = f -> down.executor().execute(() -> end(Result.CLIENT_GONE));
    down.channel().closeFuture().addListener(clientGone);
  }

  /** Starts with the source's URL. */
  void start() {
    if (expectedSize != null && expectedSize > settings.maxBytes()) {
      end(Result.TOO_LARGE);
      return;
    }
    connect(location.url());
  }

  private void connect(URI url) {
    current = url;
    settings.resolver().execute(() -> {
      SafeAddresses.Checked checked = settings.addresses().resolve(url);
      down.executor().execute(() -> connected(url, checked));
    });
  }

  private void connected(URI url, SafeAddresses.Checked checked) {
    if (ended) {
      return;
    }
    if (checked.address() == null) {
      end(Result.REFUSED_ADDRESS);
      return;
    }
    boolean https = url.getScheme().equalsIgnoreCase("https");
    int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
    InetAddress address = checked.address();
    Bootstrap b =
        new Bootstrap()
            .group(down.channel().eventLoop())
            .channel(NioSocketChannel.class)
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.timeoutMillis()))
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    if (https) {
                      ch.pipeline().addLast(sslHandler(ch, url.getHost(), port));
                    }
                    ch.pipeline().addLast(new HttpClientCodec(4096, 16384, 16384));
                    ch.pipeline().addLast(new Upstream());
                  }
                });
    b.connect(new InetSocketAddress(address, port)).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        end(Result.SOURCE_ERROR);
        return;
      }
      if (ended) {
        f.channel().close();
        return;
      }
      up = f.channel();
      up.writeAndFlush(request(url)).addListener(w -> {
        if (!w.isSuccess()) {
          end(Result.SOURCE_ERROR);
        }
      });
      readMore();
    });
  }

  private SslHandler sslHandler(SocketChannel ch, String host, int port) {
    SslHandler h = settings.tls().newHandler(ch.alloc(), host, port);
    SSLEngine engine = h.engine();
    SSLParameters p = engine.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host we asked for
    engine.setSSLParameters(p);
    return h;
  }

  private DefaultFullHttpRequest request(URI url) {
    String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
        + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
    DefaultFullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    r.headers().set(HttpHeaderNames.HOST, url.getPort() > 0 ? url.getHost() + ":" + url.getPort() : url.getHost());
    r.headers().set(HttpHeaderNames.ACCEPT, "*/*");
    r.headers().set(HttpHeaderNames.USER_AGENT, "parlor-media");
    r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    for (Map.Entry<String, String> h : location.headers().entrySet()) {
      r.headers().set(h.getKey(), h.getValue());
    }
    return r;
  }

  /** Asks the source for more, with a deadline for its answer. */
  private void readMore() {
    if (ended || up == null) {
      return;
    }
    arm();
    up.read();
  }

  /**
   * (Re)starts the one deadline: for the source's next bytes while reading, for the client to
   * take more while its connection is full. Either way, a stall ends the relay.
   */
  private void arm() {
    if (timeout != null) {
      timeout.cancel(false);
    }
    timeout = down.executor().schedule(() -> end(Result.TIMEOUT), settings.timeoutMillis(), TimeUnit.MILLISECONDS);
  }

  /** The client's connection can take more (or not). */
  void writabilityChanged() {
    if (down.channel().isWritable()) {
      readMore();
    }
  }

  /** After a read from the source: read on while the client keeps up, else wait for it. */
  private void afterRead() {
    if (ended) {
      return;
    }
    if (down.channel().isWritable()) {
      readMore();
    } else {
      arm();
    }
  }

  private final class Upstream extends SimpleChannelInboundHandler<HttpObject> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (ended || ctx.channel() != up) {
        return;
      }
      if (msg instanceof HttpResponse r && !response(r)) {
        return;
      }
      if (msg instanceof HttpContent c) {
        content(c);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      // AUTO_READ is off: each read is asked for (also while TLS shakes hands)
      if (ctx.channel() == up) {
        afterRead();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!ended && up == ctx.channel()) {
        end(Result.SOURCE_ERROR); // the source closed before the end of the body
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
      end(Result.SOURCE_ERROR);
    }
  }

  /** The source's status line and headers: false when the relay ended or moved on. */
  private boolean response(HttpResponse r) {
    int status = r.status().code();
    if (status >= 300 && status < 400 && r.headers().contains(HttpHeaderNames.LOCATION)) {
      redirect(r.headers().get(HttpHeaderNames.LOCATION));
      return false;
    }
    if (status != 200) {
      end(Result.SOURCE_ERROR);
      return false;
    }
    long length = HttpUtil.getContentLength(r, -1L);
    if (length > settings.maxBytes() || (expectedSize != null && length >= 0 && length != expectedSize)) {
      end(length > settings.maxBytes() ? Result.TOO_LARGE : Result.MISMATCH);
      return false;
    }
    DefaultHttpResponse out = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    out.headers().set(HttpHeaderNames.CONTENT_TYPE, link.mimeType());
    long size = expectedSize != null ? expectedSize : length;
    if (size >= 0) {
      HttpUtil.setContentLength(out, size);
      limit = Math.min(limit, size);
    } else {
      HttpUtil.setTransferEncodingChunked(out, true);
    }
    out.headers().set(HttpHeaderNames.CACHE_CONTROL, "private, no-store");
    out.headers().set("x-content-type-options", "nosniff");
    out.headers().set("content-security-policy", "default-src 'none'; sandbox");
    out.headers().set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    headersSent = true;
    down.write(out);
    return true;
  }

  private void redirect(String location) {
    Channel old = up;
    up = null;
    old.close();
    URI next;
    try {
      next = current.resolve(location);
    } catch (IllegalArgumentException e) {
      end(Result.SOURCE_ERROR);
      return;
    }
    if (++redirects > MAX_REDIRECTS || !SafeAddresses.wellFormed(next)) {
      end(Result.SOURCE_ERROR);
      return;
    }
    connect(next);
  }

  /** A chunk of the body: the previous one goes to the client, this one is held back. */
  private void content(HttpContent c) {
    ByteBuf data = c.content();
    bytes += data.readableBytes();
    if (bytes > limit) {
      end(bytes > settings.maxBytes() ? Result.TOO_LARGE : Result.MISMATCH);
      return;
    }
    if (data.readableBytes() > 0) {
      digest.update(data.nioBuffer());
      if (held != null) {
        down.write(new DefaultHttpContent(held));
      }
      held = data.retain();
    }
    if (c instanceof LastHttpContent) {
      finish();
      return;
    }
    down.flush();
  }

  /** The source ended: the size and hash decide whether the last chunk goes out. */
  private void finish() {
    boolean sizeOk = expectedSize == null || bytes == expectedSize;
    boolean hashOk = expectedHash == null || expectedHash.equals(HexFormat.of().formatHex(digest.digest()));
    if (!sizeOk || !hashOk) {
      end(Result.MISMATCH);
      return;
    }
    if (held != null) {
      down.write(new DefaultHttpContent(held));
      held = null;
    }
    ended = true;
    if (timeout != null) {
      timeout.cancel(false);
    }
    down.channel().closeFuture().removeListener(clientGone);
    closeUpstream();
    listener.ended(Result.OK, bytes);
    down.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
      if (!f.isSuccess() || !keepAlive) {
        down.close();
      } else {
        done.run();
      }
    });
  }

  /** Ends without success: an error answer if nothing was sent yet, else a cut connection. */
  private void end(Result result) {
    if (ended) {
      return;
    }
    ended = true;
    if (timeout != null) {
      timeout.cancel(false);
    }
    down.channel().closeFuture().removeListener(clientGone);
    if (held != null) {
      held.release();
      held = null;
    }
    closeUpstream();
    listener.ended(result, bytes);
    if (result == Result.CLIENT_GONE) {
      return;
    }
    if (headersSent) {
      down.close(); // the client sees a transfer cut short
      return;
    }
    MediaProxy.writeError(down, 502, "bad_gateway", "the media could not be fetched from its source");
  }

  private void closeUpstream() {
    if (up != null) {
      up.close();
      up = null;
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
