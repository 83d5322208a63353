package dev.muster.client;

import dev.muster.client.internal.ArrivalFields;
import dev.muster.client.internal.HttpCall;
import dev.muster.client.internal.Json;
import dev.muster.client.internal.WaitClock;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * This instance's run as the schema's elected migrator: the {@link Migrator} on a thread of its own,
 * and, on the waiting thread ({@link #tick}), the heartbeats that keep the lease and the report of the
 * outcome. The waiting thread calls {@link #tick} whenever {@link #nanosUntilDue} has passed; the
 * migrator's thread wakes it when it ends.
 */
final class Delegation {
  /** The orchestrator keeps the last 4 KiB of a failed command's output. */
  static final int MAX_OUTPUT_CHARS = 4_096;
  private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** What the migrator came to: {@code done} at a version (or none), or {@code failed}. */
  private record Outcome(String version, Integer exitCode, String output) {
    boolean done() {
      return exitCode == null;
    }
  }

  private final MusterClient client;
  private final MigrationRun run;
  private final WaitClock clock;
  private final Thread thread;
  private final long heartbeatEveryNanos;
  private volatile Outcome outcome;
  private long nextHeartbeatNanos;
  private long reportNotBeforeNanos;
  private boolean lost;
  private boolean reported;
  private boolean reportedDone;

  private Delegation(MusterClient client, MigrationRun run, WaitClock clock, Runnable wakeWaiter) {
    this.client = client;
    this.run = run;
    this.clock = clock;
    this.heartbeatEveryNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(100), run.lease().toNanos() / 3);
    this.reportNotBeforeNanos = clock.nanoTime();
    this.nextHeartbeatNanos = reportNotBeforeNanos + heartbeatEveryNanos;
    this.thread = new Thread(() -> {
      outcome = migrate();
      wakeWaiter.run();
    }, "muster-client-migrate-" + client.service());
    this.thread.setDaemon(true);
  }

  static Delegation start(MusterClient client, MigrationRun run, WaitClock clock, Runnable wakeWaiter) {
    Delegation delegation = new Delegation(client, run, clock, wakeWaiter);
    delegation.thread.start();
    return delegation;
  }

  MigrationRun run() {
    return run;
  }

  /** Whether the orchestrator accepted this instance's report that the migrations are done. */
  boolean reportedDone() {
    return reportedDone;
  }

  /** How long until {@link #tick} has something to do: a heartbeat, or the report. */
  long nanosUntilDue(long now) {
    if (lost || reported) {
      return Long.MAX_VALUE;
    }
    return Math.max(0, (outcome != null ? reportNotBeforeNanos : nextHeartbeatNanos) - now);
  }

  /** Sends the heartbeat or the report if it is due; {@code preferred} is the orchestrator streaming to us. */
  void tick(URI preferred, long remainingNanos) throws InterruptedException {
    long now = clock.nanoTime();
    if (lost || reported || remainingNanos <= 0 || nanosUntilDue(now) > 0) {
      return;
    }
    Outcome settled = outcome;
    if (settled != null) {
      report(preferred, settled);
    } else {
      heartbeat(preferred);
    }
  }

  /** The lease is gone: stop the migrator and report nothing. */
  void lose(String why) {
    if (lost) {
      return;
    }
    lost = true;
    run.loseLease();
    thread.interrupt();
    Log.get().log(System.Logger.Level.WARNING, () -> client.instance() + ": " + run + ": " + why
        + "; stopping the migrator, another instance will be elected");
  }

  /** Interrupts the migrator if it still runs: the wait has ended. */
  void stop() {
    if (thread.isAlive()) {
      run.loseLease();
      thread.interrupt();
    }
  }

  void awaitEnd(long nanos) throws InterruptedException {
    thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
  }

  private Outcome migrate() {
    try {
      String version = client.migrator().migrate(run);
      if (version != null && ArrivalFields.requiredVersion(version) != null) {
        return new Outcome(null, 1, "the migrator returned an invalid version '" + version + "': "
            + ArrivalFields.requiredVersion(version));
      }
      return new Outcome(version, null, null);
    } catch (MigrationCommandException failed) {
      return new Outcome(null, failed.commandExitCode(), tail(failed.output()));
    } catch (Throwable failed) { // the migrator's own failure, of whatever kind, is the run's outcome
      return new Outcome(null, 1, tail(ArrivalWait.describe(failed)));
    }
  }

  private void heartbeat(URI preferred) throws InterruptedException {
    boolean accepted = call(preferred, "heartbeat", identity().append('}').toString());
    nextHeartbeatNanos = clock.nanoTime() + (accepted ? heartbeatEveryNanos : Math.min(RETRY_NANOS, heartbeatEveryNanos));
  }

  private void report(URI preferred, Outcome settled) throws InterruptedException {
    StringBuilder json = identity().append(",\"outcome\":");
    if (settled.done()) {
      json.append("\"done\"");
      if (settled.version() != null) {
        json.append(",\"version\":").append(Json.quote(settled.version()));
      }
    } else {
      json.append("\"failed\",\"exitCode\":").append(settled.exitCode())
          .append(",\"output\":").append(Json.quote(settled.output()));
    }
    if (call(preferred, "report", json.append('}').toString())) {
      reported = true;
      reportedDone = settled.done();
      Log.get().log(System.Logger.Level.INFO, () -> client.instance() + ": " + run + " reported "
          + (settled.done() ? "done" + (settled.version() == null ? "" : " at " + settled.version())
              : "failed with exit code " + settled.exitCode()));
    } else {
      reportNotBeforeNanos = clock.nanoTime() + RETRY_NANOS;
    }
  }

  /**
   * Posts to {@code /api/v1/runs/{run}/{action}}, the streaming orchestrator first, then the others.
   * Any replica may serve it: the lease is kept in the database. Returns whether one accepted it; a
   * refusal loses the lease; when none answers, the next try is scheduled.
   */
  private boolean call(URI preferred, String action, String json) throws InterruptedException {
    List<URI> order = new ArrayList<>();
    order.add(preferred);
    client.urls().stream().filter(url -> !url.equals(preferred)).forEach(order::add);
    long timeoutNanos = Math.min(TimeUnit.SECONDS.toNanos(10), Math.max(TimeUnit.SECONDS.toNanos(2), heartbeatEveryNanos));
    String problem = "no orchestrator answered";
    for (URI orchestrator : order) {
      URI url = URI.create(orchestrator + "/api/v1/runs/" + run.run() + "/" + action);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Accept", "application/json");
      if (client.token() != null) {
        headers.put("Authorization", "Bearer " + client.token());
      }
      try (HttpCall call = HttpCall.start("POST", url, headers, json)) {
        HttpCall.Response response = call.awaitResponse(timeoutNanos);
        if (response == null) {
          problem = url + ": no answer";
          continue;
        }
        String body = call.readText(1_024, timeoutNanos);
        if (response.status() == 200) {
          return true;
        }
        if (response.status() >= 400 && response.status() < 500 && response.status() != 429) {
          Map<String, Object> answer = ArrivalWait.parseOrEmpty(body);
          lose(action + " refused with HTTP " + response.status()
              + (answer.get("error") instanceof String code ? " " + code : "")
              + (answer.get("message") instanceof String message ? ": " + message : ""));
          return false;
        }
        problem = url + ": HTTP " + response.status();
      } catch (IOException e) {
        problem = url + ": " + ArrivalWait.describe(e);
      }
    }
    String lastProblem = problem;
    Log.get().log(System.Logger.Level.WARNING, () -> client.instance() + ": " + run + ": " + action + " failed ("
        + lastProblem + "); trying again");
    return false;
  }

  private StringBuilder identity() {
    return new StringBuilder("{\"service\":").append(Json.quote(client.service()))
        .append(",\"instance\":").append(Json.quote(client.instance()));
  }

  /** The last {@value #MAX_OUTPUT_CHARS} characters, cut at a line where one is near. */
  static String tail(String output) {
    if (output == null || output.length() <= MAX_OUTPUT_CHARS) {
      return output == null ? "" : output;
    }
    String tail = output.substring(output.length() - MAX_OUTPUT_CHARS);
    int newline = tail.indexOf('\n');
    return newline >= 0 && newline < 200 ? tail.substring(newline + 1) : tail;
  }
}
