package io.parlor.core.http;

import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The people's web page: static files from the classpath folder {@code web/}, read once at start
 * (so serving never touches the disk from an event loop), with a strict Content-Security-Policy
 * (no inline script or style, nothing from other origins). Immutable; thread-safe.
 */
public final class WebAssets {
  static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
          + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  private final Map<String, byte[]> files;

  private WebAssets(Map<String, byte[]> files) {
    this.files = Map.copyOf(files);
  }

  /** Loads every file under the classpath folder {@code web/}. */
  public static WebAssets load() {
    Map<String, byte[]> files = new HashMap<>();
    try {
      Enumeration<URL> roots = WebAssets.class.getClassLoader().getResources("web");
      while (roots.hasMoreElements()) {
        URL root = roots.nextElement();
        if (root.getProtocol().equals("jar")) {
          JarURLConnection conn = (JarURLConnection) root.openConnection();
          conn.setUseCaches(false);
          try (JarFile jar = conn.getJarFile()) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
              JarEntry entry = e.nextElement();
              if (entry.getName().startsWith("web/") && !entry.isDirectory()) {
                try (InputStream in = jar.getInputStream(entry)) {
                  files.put("/" + entry.getName().substring(4), in.readAllBytes());
                }
              }
            }
          }
        } else if (root.getProtocol().equals("file")) {
          Path dir = Path.of(root.toURI());
          try (Stream<Path> walk = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
              files.put("/" + dir.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
          }
        }
      }
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot load the web page's files", e);
    }
    return new WebAssets(files);
  }

  /** Whether this GET path is one of the page's files. */
  public boolean serves(String path) {
    return files.containsKey(path.equals("/") ? "/index.html" : path);
  }

  public CompletionStage<HttpResponse> handle(HttpRequest req) {
    String path = req.path().equals("/") ? "/index.html" : req.path();
    byte[] body = files.get(path);
    if (!req.method().equals("GET") && !req.method().equals("HEAD")) {
      return CompletableFuture.completedFuture(Json.error(405, "method_not_allowed", "use GET"));
    }
    Map<String, String> headers = new HashMap<>();
    headers.put("content-type", type(path));
    headers.put("content-security-policy", CSP);
    headers.put("referrer-policy", "no-referrer");
    headers.put("x-frame-options", "DENY");
    headers.put("cache-control", "no-cache");
    return CompletableFuture.completedFuture(new HttpResponse(200, headers, body));
  }

  private static String type(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    if (p.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (p.endsWith(".js") || p.endsWith(".mjs")) {
      return "text/javascript; charset=utf-8";
    }
    if (p.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    if (p.endsWith(".svg")) {
      return "image/svg+xml";
    }
    if (p.endsWith(".png")) {
      return "image/png";
    }
    if (p.endsWith(".ico")) {
      return "image/x-icon";
    }
    return "application/octet-stream";
  }
}
