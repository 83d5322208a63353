package dev.muster.orchestrator;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A plain HTTP client for tests that speak to the API directly, as curl or another language would. */
final class Http {
  static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  record Response(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  static Response post(String url, String contentType, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) b.header("Content-Type", contentType);
    if (headers.length > 0) b.headers(headers);
    return send(b.build());
  }

  static Response postJson(String url, JsonObject body, String... headers) {
    return post(url, "application/json", body.encode(), headers);
  }

  static Response get(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build());
  }

  /** An {@code app} instance's {@code ?wait=true} arrival, sent now, answered when it is settled (60 s at most). */
  static java.util.concurrent.CompletableFuture<HttpResponse<String>> arriveAndWait(String url, String instance) {
    String body = new JsonObject().put("service", "app").put("instance", instance).encode();
    return CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(url + "/api/v1/arrivals?wait=true&timeout=60"))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Response send(HttpRequest request) {
    try {
      HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** An open {@code text/event-stream}; events are read one at a time. */
  static final class Sse implements AutoCloseable {
    private final InputStream body;
    private final BufferedReader reader;
    final int status;

    private Sse(HttpResponse<InputStream> response) {
      this.status = response.statusCode();
      this.body = response.body();
      this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    }

    static Sse open(HttpRequest request) {
      try {
        return new Sse(CLIENT.send(request, HttpResponse.BodyHandlers.ofInputStream()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    static Sse arrival(String baseUrl, JsonObject body, Long lastEventId) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/arrivals"))
          .header("Content-Type", "application/json").header("Accept", "text/event-stream")
          .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
      if (lastEventId != null) b.header("Last-Event-ID", String.valueOf(lastEventId));
      return open(b.build());
    }

    static Sse events(String baseUrl, Long lastEventId) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/events")).GET();
      if (lastEventId != null) b.header("Last-Event-ID", String.valueOf(lastEventId));
      return open(b.build());
    }

    /** The next event's data, or null at the end of the stream. Comments are skipped. */
    JsonObject next() {
      try {
        String data = null;
        for (String line; (line = reader.readLine()) != null; ) {
          if (line.isEmpty()) {
            if (data != null) return new JsonObject(data);
          } else if (line.startsWith("data:")) {
            data = line.substring(5).trim();
          }
        }
        return null;
      } catch (IOException e) {
        return null; // closed under us
      }
    }

    /** Reads on until an event of {@code type} (and {@code version}, when not null); fails if the stream ends. */
    JsonObject await(String type, String version) {
      for (JsonObject e; (e = next()) != null; ) {
        if (type.equals(e.getString("type")) && (version == null || version.equals(e.getString("version")))) return e;
      }
      throw new AssertionError("the event stream ended before " + type + (version == null ? "" : " " + version));
    }

    /** Every remaining event until the server ends the stream. */
    List<JsonObject> rest() {
      List<JsonObject> events = new ArrayList<>();
      for (JsonObject e; (e = next()) != null; ) events.add(e);
      return events;
    }

    @Override
    public void close() {
      try {
        body.close();
      } catch (IOException ignored) {
        // closing a stream the server already ended
      }
    }
  }
}
