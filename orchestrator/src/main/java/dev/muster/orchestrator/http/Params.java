package dev.muster.orchestrator.http;

import io.vertx.core.http.HttpServerRequest;
import java.util.List;

/** Query parameters read strictly: a bad encoding or a repeated parameter is the client's mistake, a 400. */
final class Params {
  private Params() {}

  static List<String> all(HttpServerRequest request, String name) {
    try {
      return request.params().getAll(name);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "invalid_request", "the query string is not validly percent-encoded");
    }
  }

  /** The parameter's one value, {@code null} when it is absent. */
  static String single(HttpServerRequest request, String name) {
    List<String> values = all(request, name);
    if (values.size() > 1) throw new ApiException(400, "invalid_request", name + " is given more than once");
    return values.isEmpty() ? null : values.get(0);
  }
}
