package io.parlor.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;

/**
 * A minimal HTTP/1.1 keep-alive server on 127.0.0.1, one thread per connection, that hands each
 * request's path and body to a callback and answers 200 with no body. The benchmarks' networks:
 * it costs a fraction of the JDK's HttpServer, so that more of the shared CPU goes to the node
 * being measured. Requests must carry Content-Length (Parlor's senders do).
 */
final class RawHttpSink implements AutoCloseable {
  private static final byte[] OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DOWN =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  /** Answers 503 to every request (a destination that is down), without calling the callback. */
  volatile boolean down;
  private final ServerSocket server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "sink");
    t.setDaemon(true);
    return t;
  });
  private final BiConsumer<String, byte[]> onRequest;

  RawHttpSink(BiConsumer<String, byte[]> onRequest) throws IOException {
    this.onRequest = onRequest;
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
    threads.execute(this::acceptLoop);
  }

  int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        threads.execute(() -> serve(s));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = new BufferedInputStream(s.getInputStream(), 16384);
      OutputStream out = s.getOutputStream();
      while (true) {
        String requestLine = line(in);
        if (requestLine == null) {
          return;
        }
        int length = 0;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
          if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
            length = Integer.parseInt(h.substring(15).trim());
          }
        }
        byte[] body = in.readNBytes(length);
        String[] parts = requestLine.split(" ");
        if (down) {
          out.write(DOWN);
          out.flush();
          continue;
        }
        onRequest.accept(parts.length > 1 ? parts[1].toLowerCase(Locale.ROOT) : "", body);
        out.write(OK);
        out.flush();
      }
    } catch (IOException | RuntimeException e) {
      // the client went away
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        return null;
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    server.close();
    threads.shutdownNow();
  }
}
