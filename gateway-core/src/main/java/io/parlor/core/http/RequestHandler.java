package io.parlor.core.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thin shell that converts a Netty request to an SPI request, dispatches it, and writes the
 * answer. One request at a time per connection: pipelined requests wait in a small queue (and
 * reading pauses) until the previous answer is written, so answers keep the requests' order.
 * Confined to the channel's event loop, except the dispatch completion, which hops back to it.
 */
final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
  private static final AttributeKey<Boolean> BUSY = AttributeKey.valueOf("parlor.busy");
  private static final int MAX_PIPELINED = 16;

  private record Pending(HttpRequest request, boolean keepAlive) {}

  private final HttpDispatcher dispatcher;
  private final StreamingRoute streaming;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private boolean busy;

  /** @param streaming the route whose answers are streamed, or null */
  RequestHandler(HttpDispatcher dispatcher, StreamingRoute streaming) {
    this.dispatcher = dispatcher;
    this.streaming = streaming;
  }

  static boolean busy(Channel ch) {
    return Boolean.TRUE.equals(ch.attr(BUSY).get());
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (req.decoderResult().isFailure()) {
      enqueue(ctx, new Pending(null, false));
      return;
    }
    HttpRequest request;
    try {
      request = convert(req, ctx.channel().remoteAddress());
    } catch (IllegalArgumentException e) {
      request = null;
      keepAlive = false;
    }
    enqueue(ctx, new Pending(request, keepAlive));
  }

  private void enqueue(ChannelHandlerContext ctx, Pending p) {
    if (queue.size() >= MAX_PIPELINED) {
      ctx.close();
      return;
    }
    queue.add(p);
    if (!busy) {
      next(ctx);
    }
  }

  private void next(ChannelHandlerContext ctx) {
    Pending p = queue.poll();
    if (p == null) {
      busy = false;
      ctx.channel().attr(BUSY).set(false);
      ctx.channel().config().setAutoRead(true);
      return;
    }
    busy = true;
    ctx.channel().attr(BUSY).set(true);
    ctx.channel().config().setAutoRead(false);
    if (p.request == null) {
      write(ctx, Json.error(400, "bad_request", "malformed HTTP request"), false);
      return;
    }
    if (streaming != null && streaming.handles(p.request.path())) {
      if (!p.keepAlive) {
        queue.clear();
      }
      streaming.stream(ctx, p.request, p.keepAlive, () -> next(ctx));
      return;
    }
    CompletionStage<HttpResponse> answer;
    try {
      answer = dispatcher.dispatch(p.request);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete(
        (resp, err) -> {
          HttpResponse r = resp;
          if (err != null) {
            log.error("request to {} failed", p.request.path(), err);
            r = Json.error(500, "internal", "internal error");
          }
          HttpResponse out = r;
          ctx.executor().execute(() -> write(ctx, out, p.keepAlive));
        });
  }

  private void write(ChannelHandlerContext ctx, HttpResponse resp, boolean keepAlive) {
    var f = ctx.writeAndFlush(Responses.toNetty(resp, keepAlive));
    if (!keepAlive) {
      queue.clear();
      f.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    f.addListener(done -> next(ctx));
  }

  /** Pseudo-header carrying the client's IP address (a real header name cannot contain ':'). */
  static final String REMOTE_ADDRESS = ":remote-address";

  private static HttpRequest convert(FullHttpRequest req, java.net.SocketAddress remote) {
    QueryStringDecoder q = new QueryStringDecoder(req.uri());
    Map<String, List<String>> headers = new HashMap<>();
    for (Map.Entry<String, String> h : req.headers()) {
      headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue());
    }
    if (remote instanceof java.net.InetSocketAddress inet && inet.getAddress() != null) {
      headers.put(REMOTE_ADDRESS, List.of(inet.getAddress().getHostAddress()));
    }
    byte[] body = ByteBufUtil.getBytes(req.content());
    return new HttpRequest(req.method().name(), q.path(), q.parameters(), headers, body);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (streaming != null && busy) {
      streaming.writabilityChanged(ctx);
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("connection error: {}", cause.toString());
    ctx.close();
  }
}
