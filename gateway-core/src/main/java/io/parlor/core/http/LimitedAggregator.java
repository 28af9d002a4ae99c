package io.parlor.core.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Aggregates request bodies up to the limit; a larger one gets a JSON 413. On a keep-alive
 * connection the rest of the oversized body is read and discarded (closing at once would reset a
 * client still sending, which then never sees the 413); otherwise the connection closes.
 */
final class LimitedAggregator extends HttpObjectAggregator {
  private final int max;

  LimitedAggregator(int maxBodyBytes) {
    super(maxBodyBytes);
    this.max = maxBodyBytes;
  }

  /**
   * Answers {@code Expect: 100-continue}: 100 when the declared body fits; otherwise the refusal
   * Netty would send (417 for an expectation other than 100-continue, 413 for a body over the
   * limit), with a JSON body like every other error. The client then does not send its body.
   */
  @Override
  protected Object newContinueResponse(HttpMessage start, int maxContentLength, io.netty.channel.ChannelPipeline pipeline) {
    Object r = super.newContinueResponse(start, maxContentLength, pipeline);
    if (r instanceof io.netty.handler.codec.http.HttpResponse resp && resp.status().code() >= 400) {
      int code = resp.status().code();
      boolean keepAlive = HttpUtil.isKeepAlive(resp);
      io.netty.util.ReferenceCountUtil.release(r);
      return Responses.toNetty(code == 413
          ? Json.error(413, "too_large", "request body is larger than " + max + " bytes")
          : Json.error(code, "expectation_failed", "Expect: only 100-continue is supported"), keepAlive);
    }
    return r;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    boolean keepAlive = HttpUtil.isKeepAlive(oversized) && !(oversized instanceof FullHttpMessage);
    var f =
        ctx.writeAndFlush(
            Responses.toNetty(
                Json.error(413, "too_large", "request body is larger than " + max + " bytes"), keepAlive));
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
