package io.parlor.core.http;

import io.netty.channel.ChannelHandlerContext;
import io.parlor.spi.http.HttpRequest;

/**
 * A route whose answer is streamed rather than built in memory (media through {@code GET
 * /media/{token}}). Called on the connection's event loop; must not block. Reading from the
 * client is paused until the stream ends.
 */
public interface StreamingRoute {

  /** Whether this route answers {@code path}. */
  boolean handles(String path);

  /**
   * Writes the whole answer to {@code ctx}. When it is complete and the connection may serve
   * the next request, runs {@code done} on the event loop; when it cannot complete, closes the
   * connection instead (then {@code done} is not run).
   */
  void stream(ChannelHandlerContext ctx, HttpRequest request, boolean keepAlive, Runnable done);

  /** The connection's writability changed while this route streams on it. */
  void writabilityChanged(ChannelHandlerContext ctx);
}
