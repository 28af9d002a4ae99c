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
 * Requests already read past the queue's {@value #MAX_PIPELINED} get one answer in their turn,
 * 429 with {@code connection: close}; those after it are not processed (nor answered: the close
 * tells the client so). No request is processed without being answered.
 * Confined to the channel's event loop, except the dispatch completion, which hops back to it.
 */
final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
  private static final AttributeKey<Boolean> BUSY = AttributeKey.valueOf("parlor.busy");
  static final int MAX_PIPELINED = 64;

  /** A request to dispatch, or (request null) a fixed answer: 400 when {@code refusal} is null. */
  private record Pending(HttpRequest request, boolean keepAlive, HttpResponse refusal) {
    Pending(HttpRequest request, boolean keepAlive) {
      this(request, keepAlive, null);
    }
  }

  private final HttpDispatcher dispatcher;
  private final StreamingRoute streaming;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private boolean busy;
  /** Set once the excess was refused: what follows on this connection is dropped unread. */
  private boolean refusing;

  private final List<io.parlor.core.media.Cidr> trustedProxies;

  /** @param streaming the route whose answers are streamed, or null */
  RequestHandler(HttpDispatcher dispatcher, StreamingRoute streaming) {
    this(dispatcher, streaming, List.of());
  }

  /** @param trustedProxies reverse proxies whose {@code X-Forwarded-For} names the client */
  RequestHandler(HttpDispatcher dispatcher, StreamingRoute streaming, List<io.parlor.core.media.Cidr> trustedProxies) {
    this.dispatcher = dispatcher;
    this.streaming = streaming;
    this.trustedProxies = trustedProxies;
  }

  static boolean busy(Channel ch) {
    return Boolean.TRUE.equals(ch.attr(BUSY).get());
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    if (refusing) {
      return; // a refused connection's last requests, read only to be dropped
    }
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (req.decoderResult().isFailure()) {
      enqueue(ctx, new Pending(null, false));
      return;
    }
    HttpRequest request;
    try {
      request = convert(req, ctx.channel().remoteAddress(), trustedProxies);
    } catch (IllegalArgumentException e) {
      request = null;
      keepAlive = false;
    }
    enqueue(ctx, new Pending(request, keepAlive));
  }

  private void enqueue(ChannelHandlerContext ctx, Pending p) {
    if (refusing) {
      return;
    }
    if (queue.size() >= MAX_PIPELINED) {
      refusing = true;
      p = new Pending(null, false, Json.error(429, "too_many_requests",
          "more than " + MAX_PIPELINED + " pipelined requests on one connection: this one and those after it"
              + " were not processed", Map.of("retry-after", "1")));
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
      write(ctx, p.refusal != null ? p.refusal : Json.error(400, "bad_request", "malformed HTTP request"), false);
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
      answer = AnsweringThread.dispatching(() -> dispatcher.dispatch(p.request));
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete(
        (resp, err) -> {
          HttpResponse r = resp;
          if (err != null && io.parlor.core.store.StoreUnavailableException.storeDown(err)) {
            // the store logs its fault once; every refused request would be thousands of lines
            log.debug("request to {} refused: {}", p.request.path(), err.getMessage());
            r = Json.error(503, "unavailable", "the store cannot take writes for now; retry later",
                Map.of("retry-after", "1"));
          } else if (err != null) {
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
      if (refusing && ctx.channel() instanceof io.netty.channel.socket.SocketChannel sc) {
        // The client may still be sending the requests refused with this answer. Closing now, with
        // them unread, would make the kernel reset the connection, and the reset can destroy
        // answers the client has not read yet. Instead: end our side (FIN), read and drop what
        // still comes, and close when the client does, or after two seconds.
        f.addListener(done -> {
          sc.shutdownOutput();
          ctx.channel().config().setAutoRead(true);
          ctx.executor().schedule(() -> ctx.close(), 2, java.util.concurrent.TimeUnit.SECONDS);
        });
        return;
      }
      f.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    f.addListener(done -> next(ctx));
  }

  /** Pseudo-header carrying the client's IP address (a real header name cannot contain ':'). */
  static final String REMOTE_ADDRESS = ":remote-address";

  private static HttpRequest convert(
      FullHttpRequest req, java.net.SocketAddress remote, List<io.parlor.core.media.Cidr> trustedProxies) {
    QueryStringDecoder q = new QueryStringDecoder(req.uri());
    Map<String, List<String>> headers = new HashMap<>();
    for (Map.Entry<String, String> h : req.headers()) {
      headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue());
    }
    if (remote instanceof java.net.InetSocketAddress inet && inet.getAddress() != null) {
      headers.put(REMOTE_ADDRESS,
          List.of(client(inet.getAddress(), headers.get("x-forwarded-for"), trustedProxies).getHostAddress()));
    }
    byte[] body = ByteBufUtil.getBytes(req.content());
    return new HttpRequest(req.method().name(), q.path(), q.parameters(), headers, body);
  }

  /**
   * The client's address: the TCP peer, unless the peer is a trusted proxy; then, walking {@code
   * X-Forwarded-For} from the right (each proxy appends the address it got the request from),
   * the first address that is not a trusted proxy. A malformed entry stops the walk at the last
   * trusted hop (nothing left of it can be believed); when every entry is trusted, the leftmost.
   */
  static java.net.InetAddress client(
      java.net.InetAddress peer, List<String> forwardedFor, List<io.parlor.core.media.Cidr> trusted) {
    if (forwardedFor == null || trusted.isEmpty() || !isTrusted(peer, trusted)) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (String header : forwardedFor) {
      for (String hop : header.split(",")) {
        hops.add(hop.trim());
      }
    }
    java.net.InetAddress client = peer;
    for (int i = hops.size() - 1; i >= 0; i--) {
      java.net.InetAddress hop = literal(hops.get(i));
      if (hop == null) {
        return client;
      }
      client = hop;
      if (!isTrusted(hop, trusted)) {
        return hop;
      }
    }
    return client;
  }

  private static boolean isTrusted(java.net.InetAddress a, List<io.parlor.core.media.Cidr> trusted) {
    for (io.parlor.core.media.Cidr c : trusted) {
      if (c.contains(a)) {
        return true;
      }
    }
    return false;
  }

  private static final java.util.regex.Pattern IPV4_PORT = java.util.regex.Pattern.compile("(\\d{1,3}(?:\\.\\d{1,3}){3}):\\d{1,5}");
  private static final java.util.regex.Pattern LITERAL = java.util.regex.Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  /** An IP literal ({@code 203.0.113.7}, {@code 203.0.113.7:4711}, {@code 2001:db8::1}, {@code [2001:db8::1]:4711}), never resolved; null otherwise. */
  static java.net.InetAddress literal(String s) {
    String v = s;
    if (v.startsWith("[")) {
      int end = v.indexOf(']');
      v = end < 0 ? "" : v.substring(1, end);
    } else {
      java.util.regex.Matcher m = IPV4_PORT.matcher(v);
      if (m.matches()) {
        v = m.group(1);
      }
    }
    if (!LITERAL.matcher(v).matches() || (v.indexOf(':') < 0 && v.chars().filter(ch -> ch == '.').count() != 3)) {
      return null; // not an address (a host name would be resolved: never)
    }
    try {
      return java.net.InetAddress.getByName(v);
    } catch (java.net.UnknownHostException e) {
      return null;
    }
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
