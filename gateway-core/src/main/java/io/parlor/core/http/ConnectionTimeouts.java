package io.parlor.core.http;

import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The server's timeouts. A request starts with its first byte (see {@link RequestStart}) and must
 * be received whole — headers and body — within {@code http.requestDeadline}, and without a gap
 * longer than {@code http.readTimeout}; otherwise it gets 408 and the connection is closed (a
 * client trickling a byte now and then no longer holds a connection for ever). A keep-alive
 * connection with no request and no answer pending is closed after {@code http.idleTimeout}.
 * Confined to the channel's event loop.
 */
final class ConnectionTimeouts extends ChannelDuplexHandler {
  private final Duration deadline;
  private final Duration readTimeout;
  private final Counter timedOut;
  private boolean reading;
  private ScheduledFuture<?> deadlineTask;

  ConnectionTimeouts(Duration deadline, Duration readTimeout, Counter timedOut) {
    this.deadline = deadline;
    this.readTimeout = readTimeout;
    this.timedOut = timedOut;
  }

  private void started(ChannelHandlerContext ctx) {
    if (!reading) {
      reading = true;
      deadlineTask = ctx.executor().schedule(
          () -> timeout(ctx, "request not received whole within " + seconds(deadline)),
          deadline.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private void ended() {
    reading = false;
    if (deadlineTask != null) {
      deadlineTask.cancel(false);
      deadlineTask = null;
    }
  }

  private void timeout(ChannelHandlerContext ctx, String why) {
    if (!reading || !ctx.channel().isActive()) {
      return;
    }
    ended();
    timedOut.increment();
    ctx.writeAndFlush(Responses.toNetty(Json.error(408, "request_timeout", why), false))
        .addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      started(ctx); // pipelined: its bytes came with the previous request's
    }
    if (msg instanceof LastHttpContent) {
      ended();
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    ended();
    super.channelInactive(ctx);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == RequestStart.BYTES_ARRIVED) {
      started(ctx);
      return;
    }
    if (evt instanceof io.netty.handler.codec.http.HttpExpectationFailedEvent) {
      ended(); // refused before its body: no LastHttpContent will come
    }
    if (evt instanceof IdleStateEvent e) {
      if (e.state() == IdleState.READER_IDLE && reading) {
        timeout(ctx, "request not received in time: no byte for " + seconds(readTimeout));
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
