package io.parlor.core;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A slowloris in its own process (so that its sockets do not count against the node's file
 * limit): opens {@code count} connections spread over local addresses 127.0.0.{first}…, starts a
 * request on each and sends one more header byte every second, reconnecting the ones the node
 * closes, for {@code seconds}. Prints {@code ready N} once N connections are open, then
 * {@code reconnects N} at the end.
 *
 * <p>Usage: {@code java -cp … io.parlor.core.SlowClients PORT COUNT ADDRESSES FIRST SECONDS}
 */
public final class SlowClients {
  private SlowClients() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int count = Integer.parseInt(args[1]);
    int addresses = Integer.parseInt(args[2]);
    int first = Integer.parseInt(args[3]);
    long until = System.nanoTime() + Long.parseLong(args[4]) * 1_000_000_000L;
    Socket[] sockets = new Socket[count];
    long reconnects = 0;
    int open = 0;
    for (int i = 0; i < count; i++) {
      sockets[i] = open(port, "127.0.0." + (first + i % addresses));
      if (sockets[i] != null) {
        open++;
      }
    }
    System.out.println("ready " + open);
    System.out.flush();
    while (System.nanoTime() < until) {
      long round = System.nanoTime();
      for (int i = 0; i < count && System.nanoTime() < until; i++) {
        boolean alive = sockets[i] != null;
        if (alive) {
          try {
            sockets[i].getOutputStream().write('a');
          } catch (IOException closedByTheNode) {
            alive = false;
          }
        }
        if (!alive) {
          close(sockets[i]);
          sockets[i] = open(port, "127.0.0." + (first + i % addresses));
          reconnects++;
        }
      }
      long left = 1_000 - (System.nanoTime() - round) / 1_000_000;
      if (left > 0) {
        Thread.sleep(left);
      }
    }
    for (Socket s : sockets) {
      close(s);
    }
    System.out.println("reconnects " + reconnects);
  }

  private static Socket open(int port, String from) {
    Socket s = new Socket();
    try {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      s.setSoTimeout(1);
      OutputStream out = s.getOutputStream();
      out.write("POST /v1/networks/neta/messages HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
      return s;
    } catch (IOException e) {
      close(s);
      return null;
    }
  }

  private static void close(Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // gone already
      }
    }
  }
}
