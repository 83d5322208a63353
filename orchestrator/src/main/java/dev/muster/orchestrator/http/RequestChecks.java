package dev.muster.orchestrator.http;

import dev.muster.orchestrator.config.SchemaNames;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * What a request must be before anything happens for it: its path validly encoded, its body one UTF-8 JSON
 * object, its schema a valid name the configuration allows, its event numbers digits. Each check throws an
 * {@link ApiException} (a 4xx) naming what is wrong; none costs any SQL.
 */
final class RequestChecks {
  static final String LAST_EVENT_ID = "Last-Event-ID";
  static final String EVENT_STREAM = "text/event-stream";

  private RequestChecks() {}

  /** The body of a JSON request: {@code application/json} (UTF-8), not compressed, not empty, strictly parsed. */
  static JsonObject jsonBody(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type == null || !isJsonUtf8(type)) {
      throw new ApiException(415, "unsupported_media_type", "the body must be application/json (UTF-8), was "
          + (type == null ? "no Content-Type" : printable(type)));
    }
    String encoding = ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING);
    if (encoding != null && !encoding.trim().equalsIgnoreCase("identity")) {
      throw new ApiException(415, "unsupported_media_type", "the body must not be compressed (Content-Encoding)");
    }
    if (ctx.body() == null || ctx.body().buffer() == null || ctx.body().length() == 0) {
      throw new ApiException(400, "invalid_json", "the body is empty");
    }
    return StrictJson.object(ctx.body().buffer());
  }

  /** {@code application/json}, optionally with {@code charset=utf-8}; nothing else. */
  private static boolean isJsonUtf8(String contentType) {
    String[] parts = contentType.split(";");
    if (!parts[0].trim().equalsIgnoreCase("application/json")) return false;
    for (int i = 1; i < parts.length; i++) {
      String[] param = parts[i].trim().split("=", 2);
      if (param[0].trim().equalsIgnoreCase("charset")) {
        String charset = param.length < 2 ? "" : param[1].trim().replace("\"", "");
        if (!charset.equalsIgnoreCase("utf-8")) return false;
      }
    }
    return true;
  }

  static boolean acceptsEventStream(RoutingContext ctx) {
    String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
    return accept != null && accept.contains(EVENT_STREAM);
  }

  /** A schema named in a path or a parameter: 400 when it is no valid name, 404 when the configuration has no such. */
  static String schema(String schema, SchemaNames allowed) {
    String invalid = SchemaNames.invalid(schema);
    if (invalid != null) throw new ApiException(400, "invalid_schema", invalid);
    String rejection = allowed.rejection(schema);
    if (rejection != null) throw new ApiException(404, "unknown_schema", rejection);
    return schema;
  }

  /** The {@code Last-Event-ID} header's event number, {@code null} without one. */
  static Long lastEventId(RoutingContext ctx) {
    String id = ctx.request().getHeader(LAST_EVENT_ID);
    return id == null || id.isBlank() ? null : sequence(id.trim(), LAST_EVENT_ID);
  }

  static long sequence(String text, String what) {
    if (!text.matches("[0-9]{1,18}")) {
      throw new ApiException(400, "invalid_request", what + " must be an event number (digits only)");
    }
    return Long.parseLong(text);
  }

  /** True unless the text has a {@code %} not followed by two hexadecimal digits. */
  static boolean validlyEncoded(String path) {
    if (path == null) return true;
    for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
      if (i + 2 >= path.length() || Character.digit(path.charAt(i + 1), 16) < 0
          || Character.digit(path.charAt(i + 2), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Client-supplied text fit to echo in a message or a log line: short, no control characters. */
  static String printable(String text) {
    if (text == null) return "null";
    String cut = text.length() > 100 ? text.substring(0, 100) + "..." : text;
    StringBuilder b = new StringBuilder(cut.length());
    for (int i = 0; i < cut.length(); i++) {
      char c = cut.charAt(i);
      b.append(c < 0x20 || c == 0x7f || Character.isSurrogate(c) || (c >= 0x202a && c <= 0x202e)
          || (c >= 0x2066 && c <= 0x2069) ? '?' : c);
    }
    return b.toString();
  }
}
