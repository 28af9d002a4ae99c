package io.parlor.adapter.smpp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import org.jsmpp.session.connection.Connection;
import org.jsmpp.session.connection.ConnectionFactory;
import org.jsmpp.session.connection.socket.SocketConnection;

/**
 * Opens SMSC connections with {@code TCP_NODELAY} (jsmpp's default factory leaves Nagle's
 * algorithm on, which holds small PDUs back behind unacknowledged ones and caps a window of
 * submits at a fraction of its throughput), TCP keep-alive and a connect timeout. Thread-safe.
 */
final class NoDelayConnectionFactory implements ConnectionFactory {
  private final int connectTimeoutMillis;

  NoDelayConnectionFactory(Duration connectTimeout) {
    this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis()));
  }

  @Override
  public Connection createConnection(String host, int port) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.setKeepAlive(true);
      socket.connect(new InetSocketAddress(host, port), connectTimeoutMillis);
      return new SocketConnection(socket);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }
}
