package io.parlor.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 keep-alive client over one socket, so that the load generator costs little
 * CPU next to the node it measures (both share the machine). Not thread-safe: one per thread.
 */
final class RawHttpClient implements AutoCloseable {
  private final String host;
  private final int port;
  private Socket socket;
  private OutputStream out;
  private InputStream in;

  RawHttpClient(String host, int port) {
    this.host = host;
    this.port = port;
  }

  /** GETs {@code path} (Kannel's sendsms takes its message in the query); returns the status code. */
  int get(String path) throws IOException {
    return exchange(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
  }

  /** POSTs {@code body} with the extra header lines; returns the status code. */
  int post(String path, String extraHeaders, byte[] body) throws IOException {
    String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
        + extraHeaders + "Content-Length: " + body.length + "\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[h.length + body.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return exchange(all);
  }

  /** Sends a whole request and reads its answer; returns the status code. */
  private int exchange(byte[] all) throws IOException {
    if (socket == null) {
      socket = new Socket(host, port);
      socket.setTcpNoDelay(true);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 8192);
    }
    out.write(all);
    out.flush();
    String status = line();
    int code = Integer.parseInt(status.substring(9, 12));
    int length = 0;
    boolean close = false;
    for (String l = line(); !l.isEmpty(); l = line()) {
      String lower = l.toLowerCase(java.util.Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Integer.parseInt(lower.substring(15).trim());
      } else if (lower.startsWith("connection:") && lower.contains("close")) {
        close = true;
      }
    }
    in.readNBytes(length);
    if (close) {
      close();
    }
    return code;
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  @Override
  public void close() {
    try {
      if (socket != null) {
        socket.close();
      }
    } catch (IOException ignored) {
      // closing anyway
    }
    socket = null;
  }
}
