package io.parlor.core.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Placed before the HTTP decoder: tells {@link ConnectionTimeouts} that bytes arrived, before the
 * decoder sees them, so that a request's deadline runs from its first byte (headers included,
 * which the decoder alone would only report once they are complete). Stateless; shared.
 */
@ChannelHandler.Sharable
final class RequestStart extends ChannelInboundHandlerAdapter {
  static final RequestStart INSTANCE = new RequestStart();

  /** The user event fired when bytes arrive. */
  static final Object BYTES_ARRIVED = new Object() {
    @Override
    public String toString() {
      return "BYTES_ARRIVED";
    }
  };

  private RequestStart() {}

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b && b.isReadable()) {
      ctx.fireUserEventTriggered(BYTES_ARRIVED);
    }
    ctx.fireChannelRead(msg);
  }
}
