package io.parlor.spi.http;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP request as the core's server hands it to an adapter route. Immutable.
 *
 * @param method upper-case method
 * @param path decoded path without query
 * @param query query parameters
 * @param headers header names in lower case
 * @param body the raw body bytes, exactly as received (signatures are computed over them)
 */
public record HttpRequest(
    String method,
    String path,
    Map<String, List<String>> query,
    Map<String, List<String>> headers,
    byte[] body) {

  public HttpRequest {
    query = Map.copyOf(query);
    headers = Map.copyOf(headers);
    body = body.clone();
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  /** Body length without copying. */
  public int bodyLength() {
    return body.length;
  }

  public Optional<String> header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  public Optional<String> queryParam(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }
}
