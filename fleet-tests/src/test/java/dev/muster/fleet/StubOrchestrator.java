package dev.muster.fleet;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * An HTTP server that answers as docs/api.md says an orchestrator does, scripted per request: for
 * muster-wait's handling of answers that a real orchestrator gives only in states hard to reach (its
 * database down, a roll-out with mixed versions) or only with server work still to come (delegated runs).
 * Every request is recorded.
 */
final class StubOrchestrator implements AutoCloseable {
  record Request(String method, String path, String query, Map<String, List<String>> headers, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  record Answer(int status, String json) {}

  private final HttpServer server;
  private final ExecutorService handlers = Executors.newCachedThreadPool();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile Function<Request, Answer> script;

  private StubOrchestrator(Function<Request, Answer> script) throws IOException {
    this.script = script;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(handlers);
    server.createContext("/", this::handle);
    server.start();
  }

  static StubOrchestrator start(Function<Request, Answer> script) throws IOException {
    return new StubOrchestrator(script);
  }

  /** A schema that is ready: every arrival is answered 200 at once. */
  static StubOrchestrator ready() throws IOException {
    return start(request -> new Answer(200, "{\"schema\":\"public\",\"state\":\"ready\",\"version\":\"1\"}"));
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  List<Request> requests() {
    return new ArrayList<>(requests);
  }

  List<Request> requests(String pathEnding) {
    return requests.stream().filter(r -> r.path().endsWith(pathEnding)).toList();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
          exchange.getRequestURI().getQuery(), Map.copyOf(exchange.getRequestHeaders()),
          new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      requests.add(request);
      Answer answer = script.apply(request);
      byte[] bytes = answer.json().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(answer.status(), bytes.length);
      exchange.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    handlers.shutdownNow();
  }
}
