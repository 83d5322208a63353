package dev.muster.orchestrator.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Bounds the requests this replica holds open — event streams and {@code ?wait=true} answers — in all and
 * per client (remote IP address). A client over its share gets {@code 429}; a replica that is full gets
 * {@code 503}; both with {@code Retry-After}, which the SDK honours by trying again (or another replica).
 *
 * <p>Confined to the replica's context, like the rest of the HTTP layer.
 */
final class StreamLimits {
  static final String RETRY_AFTER_SECONDS = "5";

  private final int max;
  private final int perClient;
  private final Map<String, Integer> byClient = new HashMap<>();
  private final Metrics metrics;
  private int open;

  StreamLimits(int max, int perClient, Metrics metrics) {
    this.max = max;
    this.perClient = Math.min(perClient, max);
    this.metrics = metrics;
  }

  int open() {
    return open;
  }

  /** Takes a slot for the request's client, or throws 429 / 503 (nothing else happens for such a request). */
  Slot acquire(HttpServerRequest request) {
    String client = client(request);
    int mine = byClient.getOrDefault(client, 0);
    if (mine >= perClient) {
      metrics.streamRejected("per_client");
      request.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
      throw new ApiException(429, "too_many_streams", "this client (" + client + ") already holds " + mine
          + " open streams, the most MUSTER_MAX_STREAMS_PER_CLIENT allows; close one first");
    }
    if (open >= max) {
      metrics.streamRejected("total");
      request.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
      throw new ApiException(503, "too_many_streams", "this orchestrator replica already holds " + open
          + " open streams, the most MUSTER_MAX_STREAMS allows; try another replica or again later");
    }
    open++;
    byClient.put(client, mine + 1);
    return new Slot(client);
  }

  /** The key a client's streams are counted under: its IP address (without the port). */
  static String client(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    String host = remote == null ? null : remote.hostAddress();
    return host == null ? "unknown" : host;
  }

  /** One held stream; {@link #release} may be called any number of times. */
  final class Slot {
    private final String client;
    private boolean released;

    private Slot(String client) {
      this.client = client;
    }

    void release() {
      if (released) return;
      released = true;
      open--;
      byClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
    }
  }
}
