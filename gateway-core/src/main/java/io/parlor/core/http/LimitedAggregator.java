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
