package dev.muster.orchestrator.demo;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * Shows what the orchestrator does, as its own service in the demo's output: it reads the orchestrator's
 * event stream ({@code GET /api/v1/events?since=0}) like the dashboard does and prints one line per arrival,
 * migration and outcome.
 */
final class EventPrinter implements AutoCloseable {
  private final URI events;
  private final String token;
  private final DemoConsole console;
  private final int index;
  private final Thread reader;
  private volatile Stream<String> lines;
  private volatile boolean closed;

  /** {@code token}: the orchestrator's write token, which may read as well. */
  EventPrinter(String baseUrl, String token, DemoConsole console, int index) {
    this.events = URI.create(baseUrl + "api/v1/events?since=0");
    this.token = token;
    this.console = console;
    this.index = index;
    this.reader = new Thread(this::read, "demo-events");
    reader.setDaemon(true);
  }

  void start() {
    reader.start();
  }

  private void read() {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try {
      HttpResponse<Stream<String>> response = http.send(
          HttpRequest.newBuilder(events).header("Accept", "text/event-stream")
              .header("Authorization", "Bearer " + token).GET().build(),
          HttpResponse.BodyHandlers.ofLines());
      lines = response.body();
      if (closed) lines.close();
      StringBuilder data = new StringBuilder();
      for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
        String line = it.next();
        if (line.startsWith("data:")) {
          data.append(line.substring(5).strip());
        } else if (line.isEmpty() && data.length() > 0) {
          print(data.toString());
          data.setLength(0);
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!closed) console.line(index, DemoConsole.ORCHESTRATOR, "(event stream ended: " + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void print(String data) {
    JsonObject e;
    try {
      e = new JsonObject(data);
    } catch (DecodeException notJson) {
      return;
    }
    String text = describe(e);
    if (text != null) console.line(index, DemoConsole.ORCHESTRATOR, text);
  }

  /** One line for the events a person watching wants to see; null for the rest. */
  static String describe(JsonObject e) {
    String schema = e.getString("schema", "?");
    String who = e.getString("instance", "?") + (e.getString("service") == null ? "" : " (" + e.getString("service") + ")");
    String migration = "V" + e.getString("version", "?") + " " + e.getString("description", "");
    switch (e.getString("type", "")) {
      case "service.starting":
        return who + " is starting and needs schema " + schema;
      case "schema.lock_acquired":
        return "took the lock for schema " + schema + ": migrating it";
      case "migration.applied":
        return schema + ": applied " + migration.strip() + " in " + e.getLong("durationMs", 0L) + " ms";
      case "schema.ready":
        return "schema " + schema + " is ready at V" + e.getString("version", "?")
            + (e.getLong("durationMs") == null ? "" : " (run took " + e.getLong("durationMs") + " ms)");
      case "schema.failed":
        JsonObject error = e.getJsonObject("error", new JsonObject());
        return "schema " + schema + " FAILED at " + migration.strip() + ": SQLSTATE " + error.getString("sqlState", "?")
            + " " + error.getString("message", "");
      case "service.released":
        return who + " may start";
      case "service.gave_up":
        return who + " gave up waiting";
      default:
        return null;
    }
  }

  @Override
  public void close() {
    closed = true;
    Stream<String> open = lines;
    if (open != null) open.close(); // wakes the reader
  }
}
