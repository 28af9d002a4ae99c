package io.parlor.core.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.parlor.spi.http.HttpResponse;
import java.util.Map;

/** Converts SPI responses to Netty's. */
public final class Responses {
  private Responses() {}

  /** The Netty response for {@code r}, with length, {@code nosniff} and the connection header. */
  public static FullHttpResponse toNetty(HttpResponse r, boolean keepAlive) {
    byte[] body = r.body();
    FullHttpResponse out =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(body));
    for (Map.Entry<String, String> h : r.headers().entrySet()) {
      out.headers().set(h.getKey(), h.getValue());
    }
    out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    out.headers().set("x-content-type-options", "nosniff");
    out.headers()
        .set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    return out;
  }
}
