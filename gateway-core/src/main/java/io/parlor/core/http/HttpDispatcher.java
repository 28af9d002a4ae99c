package io.parlor.core.http;

import io.parlor.spi.http.HttpRequest;
import io.parlor.spi.http.HttpResponse;
import java.util.concurrent.CompletionStage;

/** Answers one request. Called on an event loop: must not block. */
@FunctionalInterface
public interface HttpDispatcher {
  CompletionStage<HttpResponse> dispatch(HttpRequest request);
}
