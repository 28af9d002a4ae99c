package io.parlor.core.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;

/** Aggregates request bodies up to the limit; a larger one gets a JSON 413 and the connection closes. */
final class LimitedAggregator extends HttpObjectAggregator {
  private final int max;

  LimitedAggregator(int maxBodyBytes) {
    super(maxBodyBytes);
    this.max = maxBodyBytes;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    ctx.writeAndFlush(
            Responses.toNetty(
                Json.error(413, "too_large", "request body is larger than " + max + " bytes"), false))
        .addListener(ChannelFutureListener.CLOSE);
  }
}
