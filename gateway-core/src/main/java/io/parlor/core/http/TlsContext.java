package io.parlor.core.http;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's TLS: a certificate chain and its private key from PEM files, TLS 1.3 and 1.2 only,
 * reloaded when either file changes (a renewal needs no restart: new connections get the new
 * certificate, open ones keep theirs). A reload that fails (a half-written file) keeps the
 * current certificate and says so once. Thread-safe.
 */
public final class TlsContext {
  private static final Logger log = LoggerFactory.getLogger(TlsContext.class);
  /** The only protocols offered. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private final Path certificate;
  private final Path privateKey;
  private final AtomicReference<SslContext> current = new AtomicReference<>();
  private volatile FileTime certTime;
  private volatile FileTime keyTime;
  private volatile boolean failing;

  /** Loads the files now; a {@link TlsException} names what is wrong with them. */
  public TlsContext(Path certificate, Path privateKey) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    current.set(load(certificate, privateKey));
    certTime = mtime(certificate);
    keyTime = mtime(privateKey);
  }

  /** The context for a new connection. */
  public SslContext current() {
    return current.get();
  }

  /** Reloads when a file changed since the last load; true when a new certificate is in use. */
  public boolean reloadIfChanged() {
    FileTime c = mtime(certificate);
    FileTime k = mtime(privateKey);
    if (c == null || k == null || (c.equals(certTime) && k.equals(keyTime))) {
      return false;
    }
    try {
      current.set(load(certificate, privateKey));
      certTime = c;
      keyTime = k;
      failing = false;
      log.info("TLS certificate reloaded from {}", certificate);
      return true;
    } catch (TlsException e) {
      if (!failing) {
        log.warn("TLS certificate not reloaded, the current one stays in use: {}", e.getMessage());
        failing = true;
      }
      return false;
    }
  }

  /** Loads and checks a certificate chain and key (PEM): what check-config and start use. */
  public static SslContext load(Path certificate, Path privateKey) {
    if (!Files.isReadable(certificate)) {
      throw new TlsException("http.tls.certificate", "a readable PEM certificate file (" + certificate + ")");
    }
    if (!Files.isReadable(privateKey)) {
      throw new TlsException("http.tls.privateKey", "a readable PEM private key file (" + privateKey + ")");
    }
    try {
      return SslContextBuilder.forServer(certificate.toFile(), privateKey.toFile())
          .sslProvider(SslProvider.JDK)
          .protocols(PROTOCOLS)
          .build();
    } catch (IOException | RuntimeException e) {
      throw new TlsException("http.tls",
          "a PEM certificate chain and its unencrypted PKCS#8 private key (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static FileTime mtime(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return null;
    }
  }

  /** What is wrong with the TLS files, named by its config field. */
  public static final class TlsException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String field;
    private final String expected;

    TlsException(String field, String expected) {
      super(field + ": expected " + expected);
      this.field = field;
      this.expected = expected;
    }

    public String field() {
      return field;
    }

    public String expected() {
      return expected;
    }
  }
}
