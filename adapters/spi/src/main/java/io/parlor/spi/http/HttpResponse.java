package io.parlor.spi.http;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** An HTTP response from an adapter route. Immutable. */
public record HttpResponse(int status, Map<String, String> headers, byte[] body) {
  public HttpResponse {
    headers = Map.copyOf(headers);
    body = body.clone();
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  public static HttpResponse json(int status, String json) {
    return new HttpResponse(
        status, Map.of("content-type", "application/json"), json.getBytes(StandardCharsets.UTF_8));
  }

  public static HttpResponse json(int status, String json, Map<String, String> extraHeaders) {
    java.util.Map<String, String> h = new java.util.HashMap<>(extraHeaders);
    h.put("content-type", "application/json");
    return new HttpResponse(status, h, json.getBytes(StandardCharsets.UTF_8));
  }

  public static HttpResponse text(int status, String text) {
    return new HttpResponse(
        status,
        Map.of("content-type", "text/plain; charset=utf-8"),
        text.getBytes(StandardCharsets.UTF_8));
  }
}
