package dev.muster.client;

import dev.muster.client.internal.Backoff;
import dev.muster.client.internal.HttpCall;
import dev.muster.client.internal.Json;
import dev.muster.client.internal.SseDecoder;
import dev.muster.client.internal.Versions;
import dev.muster.client.internal.WaitClock;
import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One wait for one arrival: posts it, follows the event stream to a terminal event, and reconnects
 * (with {@code Last-Event-ID}, rotating through the URLs) when the stream breaks off, falls silent or
 * cannot be opened. When this instance is elected migrator, it also runs the migrator and keeps its
 * lease ({@link Delegation}). Runs on the thread that waits; used once.
 */
final class ArrivalWait {
  private static final String ARRIVALS_PATH = "/api/v1/arrivals";
  private static final int MAX_ERROR_BODY_CHARS = 4_096;
  static final String DATABASE_UNAVAILABLE = "the orchestrator's database is unavailable";

  private final MusterClient client;
  private final WaitClock clock;
  private final long startNanos;
  private final long deadlineNanos;
  private final long idleTimeoutNanos;
  private final Backoff backoff = new Backoff();
  private final Set<URI> tried = new LinkedHashSet<>();

  private int attempts;
  /** Sent as {@code Last-Event-ID}, so the orchestrator resumes the stream instead of logging a new arrival. */
  private String lastEventId;
  /** The latest orchestrator that accepted the arrival. */
  private URI acceptedBy;
  /** The latest orchestrator that answered in its own words (a JSON error), such as "database unavailable". */
  private URI answeredBy;
  private MusterEvent lastEvent;
  private URI lastEventFrom;
  /** Why the latest attempt ended, for messages; {@code null} while the current stream is healthy. */
  private String lastProblem;
  private IOException lastProblemCause;
  private boolean databaseUnavailable;
  /** The latest {@code 409 version_skew}, and when the first of the current series came. */
  private ArrivalRejectedException skew;
  private long firstSkewNanos;
  /** This instance's run as elected migrator, from its election until the wait ends. */
  private Delegation delegation;
  /** Set by {@code log.pruned}: the stream resumed past pruned events, so announce again rather than follow it. */
  private boolean rearrive;
  /** The exchange the waiting thread is blocked on, for the migrator's thread to wake it. */
  private volatile HttpCall current;

  ArrivalWait(MusterClient client) {
    this.client = client;
    this.clock = client.clock();
    this.startNanos = clock.nanoTime();
    this.deadlineNanos = startNanos + client.timeout().toNanos();
    this.idleTimeoutNanos = client.idleTimeout().toNanos();
  }

  Ready await() throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException(); // before announcing anything
    }
    try {
      while (true) {
        Ready ready = attempt(client.urls().get(attempts++ % client.urls().size()));
        if (ready != null) {
          return ready;
        }
        if (skew != null && clock.nanoTime() - firstSkewNanos >= MusterClient.VERSION_SKEW_WAIT.toNanos()) {
          throw skew;
        }
        long pauseNanos = Math.min(TimeUnit.MILLISECONDS.toNanos(backoff.nextDelayMillis()), remainingNanos());
        if (pauseNanos > 0) {
          Log.get().log(System.Logger.Level.DEBUG, () -> client.instance() + ": " + lastProblem + "; trying again in "
              + TimeUnit.NANOSECONDS.toMillis(pauseNanos) + " ms");
          pause(pauseNanos);
        }
        if (remainingNanos() <= 0) {
          throw skew != null ? skew : gaveUp();
        }
      }
    } finally {
      if (delegation != null) {
        delegation.stop(); // the wait is over, however it ended: the migrator must not run on
      }
    }
  }

  /** One POST and the stream it answers with; {@code null} when the wait should try again. */
  private Ready attempt(URI orchestrator) throws InterruptedException {
    tried.add(orchestrator);
    databaseUnavailable = false;
    HttpCall call = HttpCall.start("POST", URI.create(orchestrator + ARRIVALS_PATH), headers(), arrivalJson());
    current = call;
    try (call) {
      HttpCall.Response response = awaitResponse(call, orchestrator);
      if (response == null) {
        return problem(orchestrator + ": no answer", null);
      }
      int status = response.status();
      if (status == 200 && isEventStream(response)) {
        acceptedBy = orchestrator;
        skew = null;
        lastProblem = null;
        return follow(call, orchestrator);
      }
      String body = call.readText(MAX_ERROR_BODY_CHARS, nextSilenceLimitNanos());
      Map<String, Object> json = parseOrEmpty(body);
      String code = json.get("error") instanceof String c ? c : null;
      if (code != null) {
        answeredBy = orchestrator; // the orchestrator itself answered, not a proxy in front of it
      }
      if (status == 409 && "version_skew".equals(code)) {
        return versionSkew(rejection(status, body, orchestrator), orchestrator);
      }
      if (status >= 400 && status < 500 && status != 408 && status != 429) {
        throw rejection(status, body, orchestrator);
      }
      if (status == 503 && "database_unavailable".equals(code)) {
        databaseUnavailable = true;
        return problem(DATABASE_UNAVAILABLE + " (HTTP 503 database_unavailable from " + orchestrator + ")", null);
      }
      return problem(orchestrator + ": " + describeAnswer(status, response, body), null);
    } catch (EOFException e) {
      return problem(orchestrator + ": the stream ended before the schema was ready", e);
    } catch (IOException e) {
      return problem(orchestrator + ": " + describe(e), e);
    } finally {
      current = null;
    }
  }

  /**
   * A replica whose migrations end before the required version: during a roll-out of the orchestrator,
   * another replica (or this one, upgraded) may serve the arrival soon. Try the others, and give up
   * only after {@link MusterClient#VERSION_SKEW_WAIT} of nothing but such answers and failures.
   */
  private Ready versionSkew(MusterException rejection, URI orchestrator) {
    if (rejection instanceof ArrivalRejectedException refused) {
      if (skew == null) {
        firstSkewNanos = clock.nanoTime();
      }
      skew = refused;
      return problem(orchestrator + ": " + refused.getMessage(), null);
    }
    throw rejection;
  }

  /** Waits for the answer's head, heartbeating meanwhile if this instance is migrating. */
  private HttpCall.Response awaitResponse(HttpCall call, URI orchestrator) throws IOException, InterruptedException {
    long limit = clock.nanoTime() + nextSilenceLimitNanos();
    while (true) {
      long now = clock.nanoTime();
      HttpCall.Response response = call.awaitResponse(Math.max(0, Math.min(limit - now, delegationDueNanos(now))));
      if (response != null) {
        return response;
      }
      tickDelegation(orchestrator);
      if (clock.nanoTime() >= limit) {
        return null;
      }
    }
  }

  private Ready follow(HttpCall call, URI orchestrator) throws IOException, InterruptedException {
    SseDecoder decoder = new SseDecoder();
    long lastLineNanos = clock.nanoTime();
    while (true) {
      tickDelegation(orchestrator);
      long now = clock.nanoTime();
      long silenceLeft = Math.min(lastLineNanos + idleTimeoutNanos - now, remainingNanos());
      String line = call.nextLine(Math.max(0, Math.min(silenceLeft, delegationDueNanos(now))));
      if (line == null) {
        if (remainingNanos() <= 0) {
          return null;
        }
        if (clock.nanoTime() - lastLineNanos >= idleTimeoutNanos) {
          return problem(orchestrator + ": nothing received for " + Durations.format(client.idleTimeout()), null);
        }
        continue; // woken to heartbeat, or to report the migrator's outcome
      }
      lastLineNanos = clock.nanoTime();
      backoff.reset(); // the stream is alive: should it break later, reconnect quickly
      SseDecoder.Event event = decoder.accept(line);
      if (event != null) {
        Ready ready = onEvent(event, orchestrator);
        if (ready != null) {
          return ready;
        }
        if (rearrive) {
          rearrive = false;
          return problem(orchestrator + ": the log was pruned past where this stream resumed; announcing again", null);
        }
      }
    }
  }

  private Ready onEvent(SseDecoder.Event sse, URI orchestrator) throws InterruptedException {
    MusterEvent event = MusterEvent.parse(sse.id(), sse.type(), sse.data());
    if (sse.id() != null && event.id() >= 0) {
      lastEventId = sse.id();
    }
    Consumer<MusterEvent> listener = client.listener();
    if (listener != null) {
      listener.accept(event);
    }
    // Defensive: the orchestrator sends only its schema's events and this instance's own service events.
    boolean aboutOurSchema = event.schema() == null || event.schema().equals(client.schema());
    boolean aboutThisInstance = aboutOurSchema && client.instance().equals(event.instance())
        && (event.service() == null || client.service().equals(event.service()));
    switch (event.type()) {
      case "schema.ready" -> {
        if (aboutOurSchema && accepts(event.version())) {
          return ready(event.version(), orchestrator);
        }
      }
      case "service.released" -> {
        if (aboutThisInstance) {
          return ready(event.version(), orchestrator);
        }
      }
      case "schema.failed" -> {
        if (aboutOurSchema) {
          throw new MigrationFailedException(client.schema(), event.version(), event.description(),
              event.errorSqlState(), event.errorMessage(), event.errorExitCode(), event.errorOutput(), orchestrator);
        }
      }
      case "service.gave_up" -> {
        if (aboutThisInstance) {
          throw timedOut("the orchestrator gave up on " + client.instance() + " waiting for " + target()
              + " after " + Durations.format(elapsed())
              + (event.id() < 0 ? " (" + DATABASE_UNAVAILABLE + ": the event is not in its log yet)" : ""));
        }
      }
      case "migrator.elected" -> {
        if (aboutThisInstance && client.migrator() != null && event.run() != null) {
          elected(event, orchestrator);
        }
      }
      case "log.pruned" -> {
        // Events after our position may be gone (the orchestrator's MUSTER_EVENTS_RETENTION), our own release among
        // them: resume from now — a fresh arrival, which the orchestrator answers from the schema's state. An
        // elected migrator keeps its stream: it reports the outcome itself.
        if (aboutOurSchema && delegation == null) {
          lastEventId = null;
          rearrive = true;
        }
      }
      case "migrator.lost" -> {
        if (delegation != null && event.run() != null && event.run() == delegation.run().run()) {
          delegation.lose("the orchestrator revoked the lease (" + event.reason() + ")");
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

  private void elected(MusterEvent event, URI orchestrator) throws InterruptedException {
    if (delegation != null) {
      if (delegation.run().run() == event.run()) {
        return; // the same election, replayed after a reconnect
      }
      delegation.stop();
      delegation.awaitEnd(remainingNanos()); // one migrator at a time, even one told to stop
    }
    long leaseSeconds = event.leaseSeconds() == null || event.leaseSeconds() < 1 ? 15 : event.leaseSeconds();
    MigrationRun run = new MigrationRun(event.run(), client.schema(), event.version(),
        event.requiredVersion() != null ? event.requiredVersion() : client.requiredVersion(),
        Duration.ofSeconds(leaseSeconds));
    Log.get().log(System.Logger.Level.INFO, () -> client.instance() + ": elected migrator of " + run + " by " + orchestrator);
    delegation = Delegation.start(client, run, clock, () -> {
      HttpCall waitingOn = current;
      if (waitingOn != null) {
        waitingOn.wake();
      }
    });
  }

  private Ready ready(String version, URI orchestrator) {
    return new Ready(client.schema(), version, elapsed(), orchestrator,
        delegation != null && delegation.reportedDone());
  }

  private long delegationDueNanos(long now) {
    return delegation == null ? Long.MAX_VALUE : delegation.nanosUntilDue(now);
  }

  private void tickDelegation(URI orchestrator) throws InterruptedException {
    if (delegation != null) {
      delegation.tick(orchestrator, remainingNanos());
    }
  }

  /** A pause between attempts, cut into pieces when a migrator's heartbeat falls due meanwhile. */
  private void pause(long nanos) throws InterruptedException {
    long end = clock.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = end - clock.nanoTime()) {
      clock.sleep(Math.min(left, delegationDueNanos(clock.nanoTime())));
      tickDelegation(acceptedBy != null ? acceptedBy : client.urls().get(0));
    }
  }

  /**
   * Whether a {@code schema.ready} at {@code version} is the one this arrival waits for: at or above a
   * Flyway version, equal to an opaque one (a delegated schema's, such as an Alembic revision).
   * Without a version to compare, trust the orchestrator.
   */
  private boolean accepts(String version) {
    String required = client.requiredVersion();
    if (required == null || version == null) {
      return true;
    }
    if (Versions.isValid(version) && Versions.isValid(required)) {
      return Versions.compare(version, required) >= 0;
    }
    return version.equals(required);
  }

  private Map<String, String> headers() {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Accept", "text/event-stream");
    if (client.token() != null) {
      headers.put("Authorization", "Bearer " + client.token());
    }
    if (lastEventId != null && !lastEventId.isEmpty()) {
      headers.put("Last-Event-ID", lastEventId);
    }
    return headers;
  }

  private String arrivalJson() {
    StringBuilder json = new StringBuilder("{\"service\":").append(Json.quote(client.service()))
        .append(",\"instance\":").append(Json.quote(client.instance()))
        .append(",\"schema\":").append(Json.quote(client.schema()));
    if (client.requiredVersion() != null) {
      json.append(",\"requiredVersion\":").append(Json.quote(client.requiredVersion()));
    }
    if (client.deploy() != null) {
      json.append(",\"deploy\":").append(Json.quote(client.deploy()));
    }
    if (client.migrator() != null) {
      json.append(",\"canMigrate\":true");
    }
    long secondsLeft = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(remainingNanos()));
    return json.append(",\"timeoutSeconds\":").append(secondsLeft).append('}').toString();
  }

  private MusterException rejection(int status, String body, URI orchestrator) {
    Map<String, Object> json = parseOrEmpty(body);
    // The contract's answer to an arrival whose schema already failed.
    if (status == 409 && "failed".equals(json.get("state")) && json.get("error") instanceof Map<?, ?> error) {
      Integer exitCode = error.get("exitCode") instanceof Long n ? Integer.valueOf(n.intValue()) : null;
      return new MigrationFailedException(client.schema(), Json.text(json.get("version")),
          Json.text(json.get("description")), Json.text(error.get("sqlState")), Json.text(error.get("message")),
          exitCode, Json.text(error.get("output")), orchestrator);
    }
    String code = json.get("error") instanceof String c ? c : null;
    String message = json.get("message") instanceof String m ? m
        : body.isEmpty() ? "the orchestrator rejected the arrival" : firstLine(body);
    return new ArrivalRejectedException(status, code, message, orchestrator);
  }

  private static String describeAnswer(int status, HttpCall.Response response, String body) {
    if (status == 200) {
      String type = response.header("Content-Type");
      return "answered 200 with Content-Type " + (type == null ? "(none)" : type) + ", not an event stream";
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

  /** Names the chain of causes: socket errors often say little on their own. */
  static String describe(Throwable failure) {
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

  private static boolean isEventStream(HttpCall.Response response) {
    String type = response.header("Content-Type");
    return type != null && type.trim().toLowerCase(Locale.ROOT).startsWith("text/event-stream");
  }

  static Map<String, Object> parseOrEmpty(String body) {
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
    if (acceptedBy == null && answeredBy == null) {
      return new OrchestratorUnreachableException(client.service() + " could not reach the orchestrator within "
          + Durations.format(client.timeout()) + "; tried " + tried + "; last error: " + lastProblem,
          lastProblemCause);
    }
    String reason = databaseUnavailable ? ": " + lastProblem : "";
    return timedOut(client.service() + " gave up waiting for " + target() + " after "
        + Durations.format(elapsed()) + reason);
  }

  /** HikariCP-style: the message carries what was last seen, so the log line alone explains the timeout. */
  private WaitTimeoutException timedOut(String what) {
    StringBuilder message = new StringBuilder(what);
    if (lastEvent != null) {
      message.append("; last event: ").append(lastEvent).append(", from ").append(lastEventFrom);
    } else if (acceptedBy != null) {
      message.append("; no event received from ").append(acceptedBy);
    }
    if (lastProblem != null && !databaseUnavailable) {
      message.append("; then ").append(lastProblem);
    }
    return new WaitTimeoutException(message.toString(), lastEvent);
  }

  private String target() {
    String required = client.requiredVersion();
    return "schema " + client.schema() + (required == null ? " (latest version)"
        : Versions.isValid(required) ? " ≥ " + required : " at " + required);
  }

  /** How long the next wait for the server may last: the idle timeout, cut short by the deadline. */
  private long nextSilenceLimitNanos() {
    return Math.max(0, Math.min(idleTimeoutNanos, remainingNanos()));
  }

  private long remainingNanos() {
    return deadlineNanos - clock.nanoTime();
  }

  private Duration elapsed() {
    return Duration.ofNanos(clock.nanoTime() - startNanos);
  }
}
