package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MigrationFailedException;
import dev.muster.client.MusterClient;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import dev.muster.client.Ready;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class FailedMigrationTest {

  @Test
  void everyWaiterGetsTheSqlErrorAndTheSchemaStaysAtItsLastGoodVersionUntilTheFileIsFixed(TestDatabase db,
      @TempDir Path dir) throws Exception {
    Migrations migrations = new Migrations(dir.resolve("migrations"))
        .write("V1__accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY);")
        .write("V2__orders.sql", "CREATE TABLE orders (id bigserial PRIMARY KEY, account_id bigint REFERENCES accounts(id));")
        .write("V3__broken.sql", "CREATE TABLE audit (id bigserial PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);");
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, migrations.dir()))) {
      List<CompletableFuture<?>> waiters = new ArrayList<>();
      List<Long> toldAt = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (int i = 0; i < 10; i++) {
        waiters.add(client(replicas.urlsFrom(i % 2), "app-" + i).readyAsync()
            .whenComplete((r, e) -> toldAt.add(System.currentTimeMillis())));
      }
      for (CompletableFuture<?> waiter : waiters) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, waiter::get);
        MigrationFailedException failed = assertInstanceOf(MigrationFailedException.class, e.getCause());
        assertEquals("42P01", failed.sqlState());
        assertTrue(failed.getMessage().contains("no_such_table"), failed.getMessage());
        assertEquals(3, failed.exitCode());
      }
      // Measured, not asserted (docs/guarantees.md records it): failure committed to the last waiter told.
      long failedAt = db.queryLong("SELECT (extract(epoch FROM at) * 1000)::bigint FROM muster.events"
          + " WHERE type = 'schema.failed'");
      System.out.printf("failure reached %d waiters on 2 replicas, the last %d ms after it was logged%n", toldAt.size(),
          toldAt.stream().mapToLong(Long::longValue).max().orElseThrow() - failedAt);
      assertEquals("2", db.query("SELECT max(version::int)::text AS v FROM public.flyway_schema_history").get(0).get("v"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_tables WHERE tablename = 'audit'"), "V3 was rolled back whole");
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.failed'"));
      assertEquals("42P01", db.query("SELECT data->'error'->>'sqlState' AS s FROM muster.events WHERE type = 'schema.failed'")
          .get(0).get("s"));

      migrations.write("V3__broken.sql", "CREATE TABLE audit (id bigserial PRIMARY KEY);");
      assertEquals("3", client(replicas.url(1), "app-after-fix").awaitReady().version());
      assertEquals(1, db.queryLong("SELECT count(*) FROM pg_tables WHERE tablename = 'audit'"));
    }
  }

  @Test
  void aWaiterWhoseVersionTheFailedRunReachedIsReleasedAndARestartedReplicaStillReportsTheFailure(TestDatabase db,
      @TempDir Path dir) throws Exception {
    Migrations migrations = new Migrations(dir.resolve("migrations"))
        .write("V1__accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY);")
        .write("V2__slow.sql", "SELECT pg_sleep(0.5);")
        .write("V3__broken.sql", "INSERT INTO no_such_table VALUES (1);");
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      CompletableFuture<Ready> needsTwo = MusterClient.builder().url(replicas.url(0)).service("app").instance("old-app")
          .requiredVersion("2").timeout(Duration.ofSeconds(30)).build().readyAsync();
      CompletableFuture<Ready> needsLatest = client(replicas.url(0), "new-app").readyAsync();
      assertEquals("2", needsTwo.get(30, TimeUnit.SECONDS).version(), "V2 committed before V3 failed");
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, needsLatest::get);
      assertInstanceOf(MigrationFailedException.class, e.getCause());
    }
    try (Replicas restarted = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      JsonObject status = Http.get(restarted.url(0) + "/api/v1/schemas/public").json();
      assertEquals("failed", status.getString("state"), status.encode());
      assertEquals("2", status.getString("version"));
      assertEquals("42P01", status.getJsonObject("error").getString("sqlState"));
    }
  }

  private static MusterClient client(String urls, String instance) {
    return MusterClient.builder().url(urls).service("app").instance(instance).timeout(Duration.ofSeconds(30)).build();
  }
}
