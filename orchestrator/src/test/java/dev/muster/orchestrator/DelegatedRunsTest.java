package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.RunnerChoice;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delegated runs (docs/api.md "Delegated runs") on real replicas and a real PostgreSQL: the election under real
 * concurrency, checked in {@code muster.events}; a migrator lost by its stream or its lease, and the next one
 * elected; a late report refused; a failure reaching every waiter with its exit code and output.
 */
@ExtendWith(PostgresExtension.class)
class DelegatedRunsTest {
  private static final String SCHEMA = "legacy";

  static MusterConfig config(TestDatabase db, Path dir, Duration lease) {
    return Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()).toBuilder()
        .schemas(dev.muster.orchestrator.config.SchemaNames.parse("public,legacy"))
        .runners(RunnerChoice.parse("flyway,legacy=delegate"))
        .migratorLease(lease)
        .build();
  }

  static JsonObject arrival(String instance, String version) {
    JsonObject body = new JsonObject().put("service", "web").put("instance", instance).put("schema", SCHEMA)
        .put("canMigrate", true);
    return version == null ? body : body.put("requiredVersion", version);
  }

  static Http.Response call(String url, long run, String action, JsonObject body) {
    return Http.postJson(url + "/api/v1/runs/" + run + "/" + action, body);
  }

  static long count(TestDatabase db, String type) {
    return db.queryLong("SELECT count(*) FROM muster.events WHERE type = ? AND schema_name = ?", type, SCHEMA);
  }

  @Test
  void ofManyArrivalsThatCanMigrateOnTwoReplicasExactlyOneIsElectedAndAllAreReleasedAtItsVersion(TestDatabase db,
      @TempDir Path dir) throws Exception {
    int n = 12;
    try (Replicas replicas = Replicas.start(2, config(db, dir, Duration.ofSeconds(15)))) {
      ExecutorService pool = Executors.newFixedThreadPool(n);
      CyclicBarrier together = new CyclicBarrier(n);
      List<Future<String>> ends = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String instance = "web-" + i;
        String url = replicas.url(i % 2);
        ends.add(pool.submit(() -> {
          together.await();
          try (Http.Sse stream = Http.Sse.arrival(url, arrival(instance, "3f2a1b9c0d1e"), null)) {
            assertEquals(200, stream.status);
            for (JsonObject e; (e = stream.next()) != null; ) {
              if (e.getString("type").equals("migrator.elected") && instance.equals(e.getString("instance"))) {
                // The migrator runs its tool, then reports to the replica it streams from.
                Http.Response r = call(url, e.getLong("run"), "report", new JsonObject().put("service", "web")
                    .put("instance", instance).put("outcome", "done").put("version", "3f2a1b9c0d1e"));
                assertEquals(200, r.status(), r.body());
                assertEquals("schema.ready", r.json().getString("type"));
              }
              if (e.getString("type").equals("schema.ready")) return e.getString("version");
              // One that arrives just after the report is released at once, by its own event.
              if (e.getString("type").equals("service.released") && instance.equals(e.getString("instance"))) {
                return e.getString("version");
              }
            }
            return "stream ended";
          }
        }));
      }
      for (Future<String> end : ends) assertEquals("3f2a1b9c0d1e", end.get(60, TimeUnit.SECONDS));
      pool.shutdown();
      assertEquals(1, count(db, "migrator.elected"), "exactly one migrator for " + n + " arrivals on two replicas");
      assertEquals(0, count(db, "migrator.lost"));
      assertEquals(1, count(db, "schema.ready"));

      // The same code starting again finds its version recorded: released at once, no election.
      Http.Response again = Http.postJson(replicas.url(1) + "/api/v1/arrivals?wait=true", arrival("web-late", "3f2a1b9c0d1e"));
      assertEquals(200, again.status(), again.body());
      assertEquals("ready", again.json().getString("state"));
      assertEquals(1, count(db, "migrator.elected"));
      // The Flyway schema beside it is untouched by all this, and migrated as before.
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE schema_name = 'public'"));
    }
  }

  @Test
  void aMigratorWhoseStreamClosesIsLostTheNextIsElectedAndTheLateReportIsRefused(TestDatabase db, @TempDir Path dir)
      throws Exception {
    try (Replicas replicas = Replicas.start(1, config(db, dir, Duration.ofSeconds(15)))) {
      String url = replicas.url(0);
      Http.Sse first = Http.Sse.arrival(url, arrival("web-1", null), null);
      JsonObject elected = first.await("migrator.elected", null);
      assertEquals("web-1", elected.getString("instance"));
      long run1 = elected.getLong("run");
      assertEquals(elected.getLong("seq"), run1, "a run's id is the number of its election");
      assertEquals(15, elected.getInteger("leaseSeconds"));

      try (Http.Sse second = Http.Sse.arrival(url, arrival("web-2", null), null)) {
        assertEquals(200, call(url, run1, "heartbeat", new JsonObject().put("service", "web").put("instance", "web-1"))
            .status());
        first.close(); // the migrator dies: its stream drops

        JsonObject lost = second.await("migrator.lost", null);
        assertEquals(List.of(run1, "stream_closed", "web-1"),
            List.of(lost.getLong("run"), lost.getString("reason"), lost.getString("instance")));
        JsonObject next = second.await("migrator.elected", null);
        assertEquals("web-2", next.getString("instance"));
        long run2 = next.getLong("run");

        // The revoked migrator's calls come too late.
        JsonObject web1 = new JsonObject().put("service", "web").put("instance", "web-1");
        Http.Response late = call(url, run1, "report", web1.copy().put("outcome", "done").put("version", "x1"));
        assertEquals(409, late.status(), late.body());
        assertEquals("lease_lost", late.json().getString("error"));
        assertEquals(409, call(url, run1, "heartbeat", web1).status());
        // Nor may another instance report for the run under way, or anyone for a run that never was.
        assertEquals(409, call(url, run2, "report", web1.copy().put("outcome", "done")).status());
        Http.Response unknown = call(url, 987654321, "heartbeat", web1);
        assertEquals(404, unknown.status());
        assertEquals("unknown_run", unknown.json().getString("error"));
        Http.Response bad = call(url, run2, "report", new JsonObject().put("service", "web").put("instance", "web-2")
            .put("outcome", "maybe"));
        assertEquals(400, bad.status());

        Http.Response done = call(url, run2, "report", new JsonObject().put("service", "web").put("instance", "web-2")
            .put("outcome", "done").put("version", "3f2a1b9c0d1e"));
        assertEquals(200, done.status(), done.body());
        assertEquals("3f2a1b9c0d1e", second.await("schema.ready", null).getString("version"));
        assertEquals(409, call(url, run2, "heartbeat", new JsonObject().put("service", "web").put("instance", "web-2"))
            .status(), "a settled run is over");
      }
      assertEquals(2, count(db, "migrator.elected"));
      assertEquals(1, count(db, "migrator.lost"));
      assertEquals(1, count(db, "schema.ready"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1297437524"),
          "the lock is let go once the run settled");
    }
  }

  @Test
  void aLeaseThatRunsOutIsRevokedAndAFailedReportReachesEveryWaiterWithExitCodeAndOutput(TestDatabase db,
      @TempDir Path dir) throws Exception {
    try (Replicas replicas = Replicas.start(1, config(db, dir, Duration.ofSeconds(1)))) {
      String url = replicas.url(0);
      // A ?wait=true migrator (as muster-wait is) is answered at its election, then never heartbeats.
      Http.Response silent = Http.postJson(url + "/api/v1/arrivals?wait=true", arrival("silent", null));
      assertEquals(200, silent.status(), silent.body());
      assertEquals("migrator", silent.json().getString("role"));
      assertEquals("migrating", silent.json().getString("state"));
      assertEquals(1, silent.json().getInteger("leaseSeconds"));
      long run1 = silent.json().getLong("run");
      assertTrue(db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1297437524"
          + " AND granted") == 1, "the orchestrator holds the schema's lock for the whole run");

      ExecutorService pool = Executors.newFixedThreadPool(1);
      try (Http.Sse next = Http.Sse.arrival(url, arrival("next", null), null)) {
        // A waiter that cannot migrate waits for the outcome with ?wait=true.
        CompletableFuture<Http.Response> bystander = CompletableFuture.supplyAsync(() -> Http.postJson(
            url + "/api/v1/arrivals?wait=true", new JsonObject().put("service", "worker").put("instance", "w-1")
                .put("schema", SCHEMA)), pool);
        JsonObject lost = next.await("migrator.lost", null);
        assertEquals(List.of(run1, "lease_expired"), List.of(lost.getLong("run"), lost.getString("reason")));
        JsonObject elected = next.await("migrator.elected", null);
        assertEquals("next", elected.getString("instance"));
        long run2 = elected.getLong("run");
        JsonObject me = new JsonObject().put("service", "web").put("instance", "next");
        Http.Response beat = call(url, run2, "heartbeat", me);
        assertEquals(new JsonObject().put("run", run2).put("leaseSeconds", 1), beat.json());

        StringBuilder output = new StringBuilder();
        for (int i = 0; i < 150; i++) output.append("INFO  [alembic.runtime.migration] line ").append(i).append('\n');
        output.append("sqlalchemy.exc.ProgrammingError: relation \"accountz\" does not exist\n");
        Http.Response failed = call(url, run2, "report", me.copy().put("outcome", "failed").put("exitCode", 1)
            .put("output", output.toString()));
        assertEquals(200, failed.status(), failed.body());
        assertEquals("schema.failed", failed.json().getString("type"));

        JsonObject streamed = next.await("schema.failed", null).getJsonObject("error");
        Http.Response waited = bystander.get(30, TimeUnit.SECONDS);
        assertEquals(409, waited.status(), waited.body());
        JsonObject answered = waited.json().getJsonObject("error");
        for (JsonObject error : List.of(streamed, answered)) {
          assertEquals(1, error.getInteger("exitCode"));
          assertTrue(error.getValue("sqlState") == null, error.encode());
          assertTrue(error.getString("message").contains("exit code 1"), error.getString("message"));
          assertTrue(error.getString("message").endsWith("relation \"accountz\" does not exist"), error.getString("message"));
          String tail = error.getString("output");
          assertNotNull(tail);
          assertTrue(tail.getBytes(StandardCharsets.UTF_8).length <= 4096, "the output's last 4 KiB");
          assertTrue(tail.endsWith("relation \"accountz\" does not exist\n"), tail);
        }
        assertEquals(409, call(url, run1, "report", new JsonObject().put("service", "web").put("instance", "silent")
            .put("outcome", "done")).status(), "the revoked migrator's late report is refused");
      } finally {
        pool.shutdown();
      }
      assertEquals(1, count(db, "schema.failed"));
      assertEquals("failed", Http.get(url + "/api/v1/schemas/" + SCHEMA).json().getString("state"));
    }
  }

  @Test
  void migrateRefusesADelegatedSchema(TestDatabase db, @TempDir Path dir) {
    Migrations m = ArrivalModesTest.twoMigrations(dir);
    CommandsTest.Run run = CommandsTest.run("migrate", "--database-url", db.url(), "--migrations",
        "filesystem:" + m.dir(), "--schemas", "public,legacy", "--runner", "flyway,legacy=delegate", "--schema", SCHEMA);
    assertEquals(2, run.exit(), run.out() + run.err());
    assertTrue(run.err().contains("schema legacy is delegated"), run.err());
  }
}
