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
 * answer. One request at a time per connection: reading pauses until the answer is written, so
 * pipelined requests are answered in order. Confined to the channel's event loop, except the
 * dispatch completion, which writes through the (thread-safe) channel.
 */
final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
  private static final AttributeKey<Boolean> BUSY = AttributeKey.valueOf("parlor.busy");

  private final HttpDispatcher dispatcher;

  RequestHandler(HttpDispatcher dispatcher) {
    this.dispatcher = dispatcher;
  }

  static boolean busy(Channel ch) {
    return Boolean.TRUE.equals(ch.attr(BUSY).get());
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (req.decoderResult().isFailure()) {
      write(ctx, Json.error(400, "bad_request", "malformed HTTP request"), false);
      return;
    }
    HttpRequest request;
    try {
      request = convert(req);
    } catch (IllegalArgumentException e) {
      write(ctx, Json.error(400, "bad_request", "malformed request URI"), false);
      return;
    }
    ctx.channel().attr(BUSY).set(true);
    ctx.channel().config().setAutoRead(false);
    CompletionStage<HttpResponse> answer;
    try {
      answer = dispatcher.dispatch(request);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete(
        (resp, err) -> {
          if (err != null) {
            log.error("request to {} failed", request.path(), err);
            resp = Json.error(500, "internal", "internal error");
          }
          write(ctx, resp, keepAlive);
        });
  }

  private static void write(ChannelHandlerContext ctx, HttpResponse resp, boolean keepAlive) {
    var f = ctx.writeAndFlush(Responses.toNetty(resp, keepAlive));
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    f.addListener(
        done -> {
          ctx.channel().attr(BUSY).set(false);
          ctx.channel().config().setAutoRead(true);
          ctx.read();
        });
  }

  private static HttpRequest convert(FullHttpRequest req) {
    QueryStringDecoder q = new QueryStringDecoder(req.uri());
    Map<String, List<String>> headers = new HashMap<>();
    for (Map.Entry<String, String> h : req.headers()) {
      headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue());
    }
    byte[] body = ByteBufUtil.getBytes(req.content());
    return new HttpRequest(
        req.method().name(), q.path(), q.parameters(), headers, body);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("connection error: {}", cause.toString());
    ctx.close();
  }
}
