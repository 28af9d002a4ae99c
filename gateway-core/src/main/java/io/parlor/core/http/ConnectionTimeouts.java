package io.parlor.core.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Turns idle events into the server's timeouts: a request whose bytes stop arriving gets 408 and
 * the connection is closed (read timeout); a keep-alive connection with no request and no answer
 * pending is closed (idle timeout). Confined to the channel's event loop.
 */
final class ConnectionTimeouts extends ChannelDuplexHandler {
  private boolean reading;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      reading = true;
    }
    if (msg instanceof LastHttpContent) {
      reading = false;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent e) {
      if (e.state() == IdleState.READER_IDLE && reading) {
        reading = false;
        ctx.writeAndFlush(
                Responses.toNetty(
                    Json.error(408, "request_timeout", "request body not received in time"), false))
            .addListener(ChannelFutureListener.CLOSE);
        return;
      }
      if (e.state() == IdleState.ALL_IDLE && !reading && !RequestHandler.busy(ctx.channel())) {
        ctx.close();
        return;
      }
    }
    super.userEventTriggered(ctx, evt);
  }
}
