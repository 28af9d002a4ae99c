package io.parlor.spi.http;

import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * An endpoint an adapter exposes on the core's HTTP server.
 *
 * @param method HTTP method, upper case
 * @param path exact path, e.g. {@code /v1/networks/chatapp/messages}
 * @param handler called on an event loop; must not block
 */
public record HttpRoute(String method, String path, Handler handler) {
  public HttpRoute {
    Objects.requireNonNull(method);
    Objects.requireNonNull(path);
    Objects.requireNonNull(handler);
  }

  /** Handles one request. Must not block; complete the stage when the answer is known. */
  @FunctionalInterface
  public interface Handler {
    CompletionStage<HttpResponse> handle(HttpRequest request);
  }
}
