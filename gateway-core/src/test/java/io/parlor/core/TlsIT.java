package io.parlor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.core.config.ConfigLoader;
import io.parlor.spi.config.ConfigProblem;
import io.parlor.core.http.TlsContext;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: the node serves HTTPS from PEM files — a client that trusts the certificate gets
 * through, TLS 1.1 is refused while 1.2 is taken (checked with the openssl client, not only the
 * JDK's), and a renewed certificate is served to new connections without a restart.
 */
class TlsIT {
  @TempDir Path dir;
  TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** A self-signed certificate for 127.0.0.1 (keytool, from the JDK), written as PEM files. */
  private X509Certificate selfSigned(String name, Path cert, Path key) throws Exception {
    Path ks = dir.resolve(name + ".p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
        "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12",
        "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    X509Certificate c = (X509Certificate) store.getCertificate("node");
    Path tmpCert = dir.resolve(name + ".crt.tmp");
    Path tmpKey = dir.resolve(name + ".key.tmp");
    Files.writeString(tmpCert, pem("CERTIFICATE", c.getEncoded()));
    Files.writeString(tmpKey, pem("PRIVATE KEY", store.getKey("node", "changeit".toCharArray()).getEncoded()));
    // as certbot does: new files moved into place
    Files.move(tmpCert, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Files.move(tmpKey, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return c;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  private static SSLContext trusting(Certificate c) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("node", c);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** The certificate a new connection is served. */
  private X509Certificate served(SSLContext ctx) throws Exception {
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", node.gateway.port())) {
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  /** Exit code and output of the openssl client connecting with one protocol version. */
  private String openssl(String version) throws Exception {
    Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + node.gateway.port(), version,
        "-cipher", "DEFAULT@SECLEVEL=0").redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return p.exitValue() + " " + out;
  }

  @Test
  void servesHttpsOnlyOverTls12And13AndPicksUpARenewedCertificate() throws Exception {
    Path cert = dir.resolve("node.crt");
    Path key = dir.resolve("node.key");
    X509Certificate first = selfSigned("first", cert, key);
    node = new TestNode(dir, TestNode.twoNetworks(dir, "http://127.0.0.1:9", "http://127.0.0.1:9", "")
        .replace("http:\n  port: 0\n", "http:\n  port: 0\n  tls:\n    certificate: node.crt\n    privateKey: node.key\n"));

    HttpClient https = HttpClient.newBuilder().sslContext(trusting(first)).build();
    HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.gateway.port() + "/healthz"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(Set.of("TLSv1.3", "TLSv1.2"), Set.of(new TlsContext(cert, key).current()
        .newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT).getEnabledProtocols()), "the protocols offered");
    String tls12 = openssl("-tls1_2");
    assertTrue(tls12.startsWith("0 ") && tls12.contains("Protocol  : TLSv1.2"), tls12);
    String tls11 = openssl("-tls1_1");
    assertNotEquals('0', tls11.charAt(0), "TLS 1.1 refused: " + tls11);

    // renewed in place: new connections get the new certificate, no restart
    X509Certificate second = selfSigned("second", cert, key);
    SSLContext both = trusting(second);
    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    X509Certificate now = null;
    while (System.nanoTime() < until) {
      try {
        now = served(both);
        break;
      } catch (javax.net.ssl.SSLHandshakeException stillTheFirst) {
        Thread.sleep(200);
      }
    }
    assertTrue(now != null && now.getSerialNumber().equals(second.getSerialNumber()), "the renewed certificate is served");
  }

  @Test
  void checkConfigNamesAMissingOrBadFile() throws Exception {
    Path cert = dir.resolve("node.crt");
    Path key = dir.resolve("node.key");
    selfSigned("node", cert, key);
    Files.writeString(dir.resolve("bad.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    for (Map.Entry<String, String> c : Map.of(
        "    certificate: missing.crt\n    privateKey: node.key\n", "http.tls.certificate",
        "    certificate: node.crt\n    privateKey: bad.key\n", "http.tls",
        "    certificate: node.crt\n", "http.tls.privateKey").entrySet()) {
      Path f = dir.resolve("tls.yaml");
      Files.writeString(f, "http:\n  tls:\n" + c.getKey());
      ConfigLoader.Result res = new ConfigLoader(Map.of(), List.of()).load(f);
      assertTrue(res.problems().stream().map(ConfigProblem::path).anyMatch(c.getValue()::equals),
          c.getValue() + " in " + res.problems());
      assertTrue(res.problems().toString().indexOf("AAAA") < 0, "never a key's content");
    }
  }
}
