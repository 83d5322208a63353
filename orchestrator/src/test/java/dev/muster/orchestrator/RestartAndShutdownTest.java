package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MusterClient;
import dev.muster.client.MusterEvent;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Issue 5.4 and 5.8: an orchestrator restarted under its waiters, and one stopped with SIGTERM mid-run. */
@ExtendWith(PostgresExtension.class)
class RestartAndShutdownTest {

  static Migrations slow(Path dir) {
    return Migrations.aroundSecond(dir, "CREATE TABLE slow (id int);\nSELECT pg_sleep(2);");
  }

  @Test
  void servicesWaitingOnARestartedOrchestratorResumeWithNothingLostOrRepeated(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = slow(dir);
    String port = String.valueOf(freePort());
    Map<String, String> env = Map.of("MUSTER_HTTP_PORT", port);
    List<List<Long>> seen = new ArrayList<>();
    List<CompletableFuture<Ready>> waiters = new ArrayList<>();
    OrchestratorProcess first = OrchestratorProcess.start("replica-a", db.url(), migrations.dir(), env);
    try (Http.Sse events = Http.Sse.events(first.url(), 0L)) {
      for (int i = 0; i < 6; i++) {
        List<Long> ids = new CopyOnWriteArrayList<>();
        seen.add(ids);
        waiters.add(MusterClient.builder().url(first.url()).service("app").instance("app-" + i)
            .timeout(Duration.ofSeconds(60)).listener((MusterEvent e) -> ids.add(e.id())).build().readyAsync());
      }
      events.await("migration.started", "2");
      first.kill();
    }
    try (OrchestratorProcess second = OrchestratorProcess.start("replica-a", db.url(), migrations.dir(), env)) {
      second.url();
      for (CompletableFuture<Ready> w : waiters) assertEquals("3", w.get(60, TimeUnit.SECONDS).version());
    }
    for (int i = 0; i < seen.size(); i++) {
      List<Long> ids = seen.get(i);
      assertEquals(ids.stream().distinct().sorted().collect(Collectors.toList()), ids, "app-" + i + " saw an event twice");
      long from = ids.get(0);
      long to = ids.get(ids.size() - 1);
      // What its stream carries: the schema's events and its own service events.
      List<Long> expected = db.query("SELECT seq FROM muster.events WHERE schema_name = 'public' AND seq BETWEEN ? AND ?"
              + " AND (type NOT LIKE 'service.%' OR data->>'instance' = ?) ORDER BY seq", from, to, "app-" + i)
          .stream().map(r -> ((Number) r.get("seq")).longValue()).collect(Collectors.toList());
      assertEquals(expected, ids, "app-" + i + " missed an event across the restart");
    }
    assertEquals(6, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.starting'"),
        "services resumed their streams; none arrived twice");
    assertEquals(3, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"));
  }

  @Test
  void sigtermLetsTheRunFinishMovesItsServicesToTheOtherReplicaAndReleasesTheLock(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = slow(dir);
    try (OrchestratorProcess a = OrchestratorProcess.start("replica-a", db.url(), migrations.dir(), Map.of());
        OrchestratorProcess b = OrchestratorProcess.start("replica-b", db.url(), migrations.dir(), Map.of())) {
      List<CompletableFuture<Ready>> waiters = new ArrayList<>();
      String holder = null;
      try (Http.Sse events = Http.Sse.events(a.url(), 0L)) {
        for (int i = 0; i < 8; i++) {
          String urls = i % 2 == 0 ? a.url() + "," + b.url() : b.url() + "," + a.url();
          waiters.add(MusterClient.builder().url(urls).service("app").instance("app-" + i)
              .timeout(Duration.ofSeconds(60)).build().readyAsync());
        }
        holder = events.await("schema.lock_acquired", null).getString("orchestrator");
        events.await("migration.started", "2");
      }
      assertNotNull(holder);
      OrchestratorProcess migrator = holder.equals(a.name()) ? a : b;
      OrchestratorProcess other = migrator == a ? b : a;

      int exit = migrator.terminate();
      assertTrue(exit == 0 || exit == 143, "a graceful stop: exit " + exit + "\n" + migrator.log());
      assertEquals(migrator.name(), db.query("SELECT data->>'orchestrator' AS o FROM muster.events"
          + " WHERE type = 'schema.ready'").get(0).get("o"), "the stopping replica finished its run\n" + migrator.log());
      assertEquals(3, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.started'"),
          "no migration was cut short and started again");
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1297437524"
          + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"));

      for (CompletableFuture<Ready> w : waiters) assertEquals("3", w.get(60, TimeUnit.SECONDS).version(), other.log());
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
