package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Many services start at the same instant against two replicas: each migration runs once, all are released. */
@ExtendWith(PostgresExtension.class)
class ExactlyOnceTest {
  static final int CLIENTS = 50;
  static final int MIGRATIONS = 22;

  @RepeatedTest(20)
  void fiftyClientsOnTwoReplicasReleaseAllAndApplyEachMigrationOnce(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = new Migrations(dir.resolve("migrations")).chain(MIGRATIONS);
    ExecutorService threads = Executors.newFixedThreadPool(CLIENTS);
    try (LogCapture logs = new LogCapture(); Replicas replicas = Replicas.start(2, Replicas.config(db, migrations.dir()))) {
      CyclicBarrier together = new CyclicBarrier(CLIENTS);
      List<Future<Ready>> results = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        MusterClient client = MusterClient.builder()
            .url(replicas.urlsFrom(i % 2))
            .service(i % 3 == 0 ? "worker" : "app")
            .instance("instance-" + i)
            .timeout(Duration.ofSeconds(60))
            .build();
        results.add(threads.submit(() -> {
          together.await();
          return client.awaitReady();
        }));
      }
      for (Future<Ready> result : results) {
        assertEquals(String.valueOf(MIGRATIONS), result.get().version());
      }

      assertEquals(MIGRATIONS, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"));
      assertEquals(MIGRATIONS, db.queryLong("SELECT count(DISTINCT version) FROM public.flyway_schema_history"));
      assertEquals(MIGRATIONS, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.started'"));
      assertEquals(MIGRATIONS,
          db.queryLong("SELECT count(DISTINCT data->>'version') FROM muster.events WHERE type = 'migration.started'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"));
      assertEquals(CLIENTS, db.queryLong("SELECT count(DISTINCT data->>'instance') FROM muster.events"
          + " WHERE type = 'service.starting'"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE type IN ('schema.failed', 'service.gave_up')"));
      // One statement, one snapshot: late service.released appends may still be landing.
      assertEquals(0, db.queryLong("SELECT max(seq) - count(*) FROM muster.events"), "the event log's numbers have no gaps");
      assertEquals(List.of(), logs.errors());
    } finally {
      threads.shutdownNow();
    }
  }
}
