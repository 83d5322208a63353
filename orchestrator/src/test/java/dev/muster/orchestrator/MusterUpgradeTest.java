package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.db.MusterSchemaTest;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Rolling upgrade of Muster itself, through the real replica and commands. */
@ExtendWith(PostgresExtension.class)
class MusterUpgradeTest {

  @Test
  void aReplicaOfThisReleaseAdoptsThePreviousReleasesLogAndAppendsAfterIt(TestDatabase db, @TempDir Path dir) {
    MusterSchemaTest.previousRelease(db);
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()))) {
      // The previous release's last run is what this replica reports (its outcome, from the adopted log).
      JsonObject lastRun = Http.get(replicas.url(0) + "/api/v1/schemas/public").json().getJsonObject("lastRun");
      assertEquals("old-1", lastRun.getString("orchestrator"), lastRun.encode());
      try (Http.Sse s = Http.Sse.arrival(replicas.url(0), ArrivalModesTest.arrival("a2"), null)) {
        s.await("service.released", null);
      }
    }
    assertEquals(4, db.queryLong("SELECT count(*) FROM muster.events WHERE seq <= 4 AND data->>'orchestrator' = 'old-1'"));
    assertEquals(db.queryLong("SELECT seq FROM muster.event_counter"), db.queryLong("SELECT count(*) FROM muster.events"),
        "gapless across the upgrade");
    assertTrue(db.queryLong("SELECT min(seq) FROM muster.events WHERE data->>'orchestrator' = 'replica-1'") == 5);
  }

  @Test
  void theOldAndTheNewReleaseShareTheUpgradedSchemaDuringTheRoll(TestDatabase db, @TempDir Path dir) {
    MusterSchemaTest.previousRelease(db);
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()))) {
      // A replica of the previous release starting now runs its bootstrap against the upgraded schema:
      // its CREATE ... IF NOT EXISTS changes nothing, and it appends as it always did, after the new one's events.
      MusterSchemaTest.previousReleaseBootstrap(db);
      db.execute("WITH next AS (UPDATE muster.event_counter SET seq = seq + 1 RETURNING seq)"
          + " INSERT INTO muster.events (seq, at, type, schema_name, data) SELECT seq, clock_timestamp(), 'service.starting',"
          + " 'public', '{\"type\":\"service.starting\",\"schema\":\"public\",\"service\":\"app\",\"instance\":\"old\","
          + "\"orchestrator\":\"old-1\"}' FROM next");
      try (Http.Sse s = Http.Sse.arrival(replicas.url(0), ArrivalModesTest.arrival("a3"), null)) {
        s.await("service.released", null);
      }
      try (Http.Sse s = Http.Sse.events(replicas.url(0), 4L)) {
        assertEquals("old", s.next().getString("instance"), "the new replica delivers the old one's append");
      }
    }
    assertEquals(db.queryLong("SELECT seq FROM muster.event_counter"), db.queryLong("SELECT count(*) FROM muster.events"));
    assertEquals(3, db.queryLong("SELECT max(version::int) FROM muster.schema_history WHERE success"));
  }

  @Test
  void aServiceNeedingTheNewMigrationsIsServedByTheUpgradedReplicaWhileTheOldOneRuns(TestDatabase db,
      @TempDir Path dir) throws Exception {
    // The old replica's image has V1-V2; the new one's V1-V3. MUSTER_URL names the old one first.
    MusterConfig old = Replicas.config(db, ArrivalModesTest.twoMigrations(dir.resolve("old")).dir());
    MusterConfig upgraded = Replicas.config(db, ArrivalModesTest.twoMigrations(dir.resolve("new"))
        .write("V3__invoices.sql", "CREATE TABLE invoices (id bigserial PRIMARY KEY);").dir());
    Vertx a = Vertx.vertx();
    Vertx b = Vertx.vertx();
    try {
      Orchestrator oldReplica = Orchestrator.start(a, old.toBuilder().replicaId("old").build(), true).await();
      Orchestrator newReplica = Orchestrator.start(b, upgraded.toBuilder().replicaId("new").build(), true).await();
      String urls = "http://127.0.0.1:" + oldReplica.port() + ",http://127.0.0.1:" + newReplica.port();
      Ready ready = MusterClient.builder().url(urls).service("billing").instance("billing-1").requiredVersion("3")
          .timeout(Duration.ofSeconds(60)).build().awaitReady();
      assertEquals("3", ready.version());
      assertEquals("http://127.0.0.1:" + newReplica.port(), ready.orchestrator().toString());
      assertEquals(1, db.queryLong("SELECT count(*) FROM flyway_schema_history WHERE version = '3'"));
    } finally {
      a.close().await();
      b.close().await();
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void anOlderReplicaMeetingANewerSchemaExits2NamingBothVersions(TestDatabase db, @TempDir Path dir) {
    Path migrations = ArrivalModesTest.twoMigrations(dir).dir();
    String[] migrate = {"migrate", "--database-url", db.url(), "--migrations", "filesystem:" + migrations};
    assertEquals(0, CommandsTest.run(migrate).exit());
    String known = (String) db.query("SELECT max(version::int)::text AS v FROM muster.schema_history WHERE success").get(0).get("v");
    db.execute("INSERT INTO muster.schema_history (installed_rank, version, description, type, script, checksum,"
        + " installed_by, execution_time, success) VALUES (100, '99', 'from a newer release', 'SQL', 'V99__newer.sql',"
        + " 0, 'muster', 1, true)");
    long events = db.queryLong("SELECT count(*) FROM muster.events");

    CommandsTest.Run refused = CommandsTest.run(migrate);
    assertEquals(2, refused.exit(), refused.out() + refused.err());
    assertTrue(refused.err().contains("schema muster is at version 99") && refused.err().contains("up to version " + known),
        refused.err());
    assertEquals(events, db.queryLong("SELECT count(*) FROM muster.events"), "it wrote nothing");
    assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1297437524"));

    // serve refuses the same way, before it opens its port.
    try (LogCapture log = new LogCapture()) {
      CommandsTest.Run serve = CommandsTest.run("serve", "--database-url", db.url(), "--migrations",
          "filesystem:" + migrations, "--http-port", "0");
      assertEquals(2, serve.exit(), serve.err());
      assertTrue(log.errors().stream().anyMatch(e -> e.contains("Could not start: schema muster is at version 99")),
          log.errors().toString());
    }
  }
}
