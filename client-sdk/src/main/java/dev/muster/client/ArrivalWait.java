package dev.muster.client;

import dev.muster.client.internal.Backoff;
import dev.muster.client.internal.Json;
import dev.muster.client.internal.SseDecoder;
import dev.muster.client.internal.StreamingCall;
import dev.muster.client.internal.Versions;
import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One wait for one arrival: posts it, follows the event stream to a terminal event, and reconnects
 * (with {@code Last-Event-ID}, rotating through the URLs) when the stream breaks off, falls silent or
 * cannot be opened. Runs on the thread that waits; used once.
 */
final class ArrivalWait {
  private static final System.Logger LOG = System.getLogger(MusterClient.class.getName());
  private static final String ARRIVALS_PATH = "/api/v1/arrivals";
  private static final int MAX_ERROR_BODY_CHARS = 4_096;

  private final MusterClient client;
  private final long startNanos = System.nanoTime();
  private final long deadlineNanos;
  private final long idleTimeoutNanos;
  private final Backoff backoff = new Backoff();
  private final Set<URI> tried = new LinkedHashSet<>();

  private int attempts;
  /** Sent as {@code Last-Event-ID}, so the orchestrator resumes the stream instead of logging a new arrival. */
  private String lastEventId;
  /** The latest orchestrator that accepted the arrival; if none ever did, it was unreachable rather than slow. */
  private URI acceptedBy;
  private MusterEvent lastEvent;
  private URI lastEventFrom;
  /** Why the latest attempt ended, for messages; {@code null} while the current stream is healthy. */
  private String lastProblem;
  private IOException lastProblemCause;

  ArrivalWait(MusterClient client) {
    this.client = client;
    this.deadlineNanos = startNanos + client.timeout().toNanos();
    this.idleTimeoutNanos = client.idleTimeout().toNanos();
  }

  Ready await() throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException(); // before announcing anything
    }
    while (true) {
      Ready ready = attempt(client.urls().get(attempts++ % client.urls().size()));
      if (ready != null) {
        return ready;
      }
      long pauseNanos = Math.min(TimeUnit.MILLISECONDS.toNanos(backoff.nextDelayMillis()), remainingNanos());
      if (pauseNanos > 0) {
        LOG.log(System.Logger.Level.DEBUG, () -> client.instance() + ": " + lastProblem + "; trying again in "
            + TimeUnit.NANOSECONDS.toMillis(pauseNanos) + " ms");
        TimeUnit.NANOSECONDS.sleep(pauseNanos);
      }
      if (remainingNanos() <= 0) {
        throw gaveUp();
      }
    }
  }

  /** One POST and the stream it answers with; {@code null} when the wait should try again. */
  private Ready attempt(URI orchestrator) throws InterruptedException {
    tried.add(orchestrator);
    try (StreamingCall call = StreamingCall.start(client.http(), request(orchestrator))) {
      HttpResponse.ResponseInfo response = call.awaitResponse(nextSilenceLimitNanos());
      if (response == null) {
        return problem(orchestrator + ": no answer", null);
      }
      int status = response.statusCode();
      if (status == 200 && isEventStream(response)) {
        acceptedBy = orchestrator;
        lastProblem = null;
        return follow(call, orchestrator);
      }
      String body = call.readText(MAX_ERROR_BODY_CHARS, nextSilenceLimitNanos());
      if (status >= 400 && status < 500 && status != 408 && status != 429) {
        throw rejection(status, body, orchestrator);
      }
      return problem(orchestrator + ": " + describeAnswer(status, response, body), null);
    } catch (EOFException e) {
      return problem(orchestrator + ": the stream ended before the schema was ready", e);
    } catch (IOException e) {
      return problem(orchestrator + ": " + describe(e), e);
    }
  }

  private Ready follow(StreamingCall call, URI orchestrator) throws IOException, InterruptedException {
    SseDecoder decoder = new SseDecoder();
    while (true) {
      String line = call.nextLine(nextSilenceLimitNanos());
      if (line == null) {
        return remainingNanos() <= 0 ? null
            : problem(orchestrator + ": nothing received for " + Durations.format(client.idleTimeout()), null);
      }
      backoff.reset(); // the stream is alive: should it break later, reconnect quickly
      SseDecoder.Event event = decoder.accept(line);
      if (event != null) {
        Ready ready = onEvent(event, orchestrator);
        if (ready != null) {
          return ready;
        }
      }
    }
  }

  private Ready onEvent(SseDecoder.Event sse, URI orchestrator) {
    MusterEvent event = MusterEvent.parse(sse.id(), sse.type(), sse.data());
    if (sse.id() != null) {
      lastEventId = sse.id();
    }
    Consumer<MusterEvent> listener = client.listener();
    if (listener != null) {
      listener.accept(event);
    }
    // Defensive: the orchestrator sends only its schema's events and this instance's own service events.
    boolean aboutOurSchema = event.schema() == null || event.schema().equals(client.schema());
    boolean aboutThisInstance = aboutOurSchema && client.instance().equals(event.instance());
    switch (event.type()) {
      case "schema.ready" -> {
        if (aboutOurSchema && reachesRequiredVersion(event.version())) {
          return new Ready(client.schema(), event.version(), elapsed(), orchestrator);
        }
      }
      case "service.released" -> {
        if (aboutThisInstance) {
          return new Ready(client.schema(), event.version(), elapsed(), orchestrator);
        }
      }
      case "schema.failed" -> {
        if (aboutOurSchema) {
          throw new MigrationFailedException(client.schema(), event.version(), event.description(),
              event.errorSqlState(), event.errorMessage(), orchestrator);
        }
      }
      case "service.gave_up" -> {
        if (aboutThisInstance) {
          throw timedOut("the orchestrator gave up on " + client.instance() + " waiting for " + target()
              + " after " + Durations.format(elapsed()));
        }
      }
      default -> {
        // progress: service.starting, schema.lock_acquired, migration.started, migration.applied, ...
      }
    }
    lastEvent = event;
    lastEventFrom = orchestrator;
    return null;
  }

  /** Only a ready schema that is clearly older than required is not ours: otherwise trust the orchestrator. */
  private boolean reachesRequiredVersion(String version) {
    String required = client.requiredVersion();
    return required == null || version == null || !Versions.isValid(version)
        || Versions.compare(version, required) >= 0;
  }

  private HttpRequest request(URI orchestrator) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(orchestrator + ARRIVALS_PATH))
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(arrivalJson(), StandardCharsets.UTF_8));
    if (client.token() != null) {
      request.header("Authorization", "Bearer " + client.token());
    }
    if (lastEventId != null && !lastEventId.isEmpty()) {
      request.header("Last-Event-ID", lastEventId);
    }
    return request.build();
  }

  private String arrivalJson() {
    StringBuilder json = new StringBuilder("{\"service\":").append(Json.quote(client.service()))
        .append(",\"instance\":").append(Json.quote(client.instance()))
        .append(",\"schema\":").append(Json.quote(client.schema()));
    if (client.requiredVersion() != null) {
      json.append(",\"requiredVersion\":").append(Json.quote(client.requiredVersion()));
    }
    long secondsLeft = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(remainingNanos()));
    return json.append(",\"timeoutSeconds\":").append(secondsLeft).append('}').toString();
  }

  private MusterException rejection(int status, String body, URI orchestrator) {
    Map<String, Object> json = parseOrEmpty(body);
    // The contract's answer to an arrival whose schema already failed.
    if (status == 409 && "failed".equals(json.get("state")) && json.get("error") instanceof Map<?, ?> error) {
      return new MigrationFailedException(client.schema(), Json.text(json.get("version")),
          Json.text(json.get("description")), Json.text(error.get("sqlState")), Json.text(error.get("message")),
          orchestrator);
    }
    String code = json.get("error") instanceof String c ? c : null;
    String message = json.get("message") instanceof String m ? m
        : body.isEmpty() ? "the orchestrator rejected the arrival" : firstLine(body);
    return new ArrivalRejectedException(status, code, message, orchestrator);
  }

  private static String describeAnswer(int status, HttpResponse.ResponseInfo response, String body) {
    if (status == 200) {
      return "answered 200 with Content-Type "
          + response.headers().firstValue("Content-Type").orElse("(none)") + ", not an event stream";
    }
    Map<String, Object> json = parseOrEmpty(body);
    if (json.get("message") instanceof String message) {
      return "HTTP " + status + (json.get("error") instanceof String code ? " " + code : "") + ": " + message;
    }
    return "HTTP " + status + (body.isEmpty() ? "" : ": " + firstLine(body));
  }

  /** A body that is not the orchestrator's JSON, such as a proxy's HTML page: enough to recognise it. */
  private static String firstLine(String body) {
    String line = body.lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  /**
   * The JDK's HTTP client often leaves messages empty and puts the reason in the cause, as in a
   * ConnectException caused by an UnresolvedAddressException: name the chain.
   */
  private static String describe(IOException failure) {
    StringBuilder text = new StringBuilder();
    Throwable cause = failure;
    for (int depth = 0; cause != null && depth < 3; depth++, cause = cause.getCause()) {
      text.append(depth == 0 ? "" : ", caused by ").append(cause.getClass().getSimpleName());
      if (cause.getMessage() != null) {
        text.append(": ").append(cause.getMessage());
      }
    }
    return text.toString();
  }

  private static boolean isEventStream(HttpResponse.ResponseInfo response) {
    return response.headers().firstValue("Content-Type")
        .map(type -> type.trim().toLowerCase(Locale.ROOT).startsWith("text/event-stream"))
        .orElse(false);
  }

  private static Map<String, Object> parseOrEmpty(String body) {
    try {
      return Json.parseObject(body);
    } catch (IllegalArgumentException notJson) {
      return Map.of();
    }
  }

  private Ready problem(String description, IOException cause) {
    lastProblem = description;
    lastProblemCause = cause;
    return null;
  }

  private MusterException gaveUp() {
    if (acceptedBy == null) {
      return new OrchestratorUnreachableException(client.service() + " could not reach the orchestrator within "
          + Durations.format(client.timeout()) + "; tried " + tried + "; last error: " + lastProblem,
          lastProblemCause);
    }
    return timedOut(client.service() + " gave up waiting for " + target() + " after "
        + Durations.format(elapsed()));
  }

  /** HikariCP-style: the message carries what was last seen, so the log line alone explains the timeout. */
  private WaitTimeoutException timedOut(String what) {
    StringBuilder message = new StringBuilder(what);
    if (lastEvent != null) {
      message.append("; last event: ").append(lastEvent).append(", from ").append(lastEventFrom);
    } else {
      message.append("; no event received from ").append(acceptedBy);
    }
    if (lastProblem != null) {
      message.append("; then ").append(lastProblem);
    }
    return new WaitTimeoutException(message.toString(), lastEvent);
  }

  private String target() {
    String required = client.requiredVersion();
    return "schema " + client.schema() + (required == null ? " (latest version)" : " ≥ " + required);
  }

  /** How long the next wait for the server may last: the idle timeout, cut short by the deadline. */
  private long nextSilenceLimitNanos() {
    return Math.max(0, Math.min(idleTimeoutNanos, remainingNanos()));
  }

  private long remainingNanos() {
    return deadlineNanos - System.nanoTime();
  }

  private Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }
}
