package io.parlor.adapter.webhook;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/** The TLS context for https webhook URLs: the JDK's TLS with its default trust store. */
final class Tls {
  private static volatile SslContext client;

  private Tls() {}

  static SslContext clientContext() {
    SslContext c = client;
    if (c == null) {
      synchronized (Tls.class) {
        c = client;
        if (c == null) {
          try {
            c = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3", "TLSv1.2").build();
          } catch (SSLException e) {
            throw new IllegalStateException("the JDK's TLS is not usable: " + e.getMessage(), e);
          }
          client = c;
        }
      }
    }
    return c;
  }
}
