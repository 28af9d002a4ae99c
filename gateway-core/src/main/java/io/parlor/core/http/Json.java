package io.parlor.core.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.spi.http.HttpResponse;
import io.parlor.spi.json.EnvelopeJson;
import java.util.Map;

/** JSON answers in the contract's shapes. */
public final class Json {
  private Json() {}

  /** {@code {"error": {"code": ..., "message": ...}}}. */
  public static HttpResponse error(int status, String code, String message) {
    ObjectNode n = EnvelopeJson.mapper().createObjectNode();
    ObjectNode e = n.putObject("error");
    e.put("code", code);
    e.put("message", message);
    return HttpResponse.json(status, n.toString());
  }

  public static HttpResponse error(int status, String code, String message, Map<String, String> headers) {
    HttpResponse r = error(status, code, message);
    return HttpResponse.json(status, new String(r.body(), java.nio.charset.StandardCharsets.UTF_8), headers);
  }

  public static HttpResponse ok(int status, ObjectNode body) {
    return HttpResponse.json(status, body.toString());
  }

  public static ObjectNode object() {
    return EnvelopeJson.mapper().createObjectNode();
  }
}
