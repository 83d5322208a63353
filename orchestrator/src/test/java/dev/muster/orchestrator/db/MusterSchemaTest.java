package dev.muster.orchestrator.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Muster's own schema: created at V-latest, adopted from the release before versions, upgraded, a newer one refused. */
@ExtendWith(PostgresExtension.class)
public class MusterSchemaTest {

  /** The schema the release before versions made, with a few of its events. */
  public static void previousRelease(TestDatabase db) {
    previousReleaseBootstrap(db);
    db.execute(resource("previous-release-events.sql"));
  }

  /** What a replica of the release before versions runs at each start: its bootstrap DDL, in one transaction. */
  public static void previousReleaseBootstrap(TestDatabase db) {
    db.execute("BEGIN; " + resource("previous-release-bootstrap.sql") + " COMMIT;");
  }

  private static String resource(String name) {
    try (InputStream in = MusterSchemaTest.class.getResourceAsStream("/muster-schema/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static String latest(TestDatabase db) {
    return (String) db.query("SELECT version FROM muster.schema_history WHERE success AND version IS NOT NULL"
        + " ORDER BY installed_rank DESC LIMIT 1").get(0).get("version");
  }

  @Test
  void aFreshDatabaseGetsEveryMigrationInItsOwnHistory(TestDatabase db) {
    MusterSchema.migrate(DatabaseUrl.parse(db.url()));
    List<Map<String, Object>> history = db.query("SELECT version, type, success FROM muster.schema_history WHERE version IS NOT NULL ORDER BY installed_rank");
    assertEquals("1", history.get(0).get("version"));
    assertTrue(history.stream().allMatch(r -> Boolean.TRUE.equals(r.get("success"))), history.toString());
    assertEquals(0, db.queryLong("SELECT seq FROM muster.event_counter"));
    long rows = db.queryLong("SELECT count(*) FROM muster.schema_history");
    MusterSchema.migrate(DatabaseUrl.parse(db.url())); // a second start changes nothing
    assertEquals(rows, db.queryLong("SELECT count(*) FROM muster.schema_history"));
  }

  @Test
  void thePreviousReleasesSchemaIsAdoptedInPlaceWithItsEvents(TestDatabase db) {
    previousRelease(db);
    MusterSchema.migrate(DatabaseUrl.parse(db.url()));
    List<Map<String, Object>> history = db.query("SELECT version, type FROM muster.schema_history ORDER BY installed_rank");
    assertEquals("0", history.get(0).get("version"));
    assertEquals("BASELINE", history.get(0).get("type"));
    assertEquals("1", history.get(1).get("version"));
    assertEquals(4, db.queryLong("SELECT count(*) FROM muster.events"));
    assertEquals(4, db.queryLong("SELECT seq FROM muster.event_counter"));
    assertEquals("schema.ready", db.query("SELECT type FROM muster.events WHERE seq = 3").get(0).get("type"));
  }

  @Test
  void aNewerReleaseUpgradesAnOlderSchemaInPlace(TestDatabase db) {
    DatabaseUrl url = DatabaseUrl.parse(db.url());
    MusterSchema.migrate(url, "1"); // the schema as the first versioned release left it
    db.execute("INSERT INTO muster.events (seq, type, schema_name, data) VALUES (1, 'schema.ready', 'public',"
        + " '{\"type\":\"schema.ready\",\"schema\":\"public\",\"version\":\"1\"}')");
    db.execute("UPDATE muster.event_counter SET seq = 1");
    MusterSchema.migrate(url);
    assertEquals(db.queryLong("SELECT count(*) FROM muster.schema_history"),
        db.queryLong("SELECT count(*) FROM muster.schema_history WHERE success"));
    assertEquals("3", latest(db), "V2 and V3 applied on top of V1");
    assertEquals(0, db.queryLong("SELECT seq FROM muster.event_horizon"));
    assertEquals(2, db.queryLong("SELECT count(*) FROM pg_indexes WHERE schemaname = 'muster'"
        + " AND indexname IN ('events_outcomes', 'events_runs')"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events"));
  }

  @Test
  void anOlderReplicaRefusesANewerSchemaSayingWhichVersionsItFoundAndKnows(TestDatabase db) {
    DatabaseUrl url = DatabaseUrl.parse(db.url());
    MusterSchema.migrate(url);
    String known = latest(db);
    // What a newer release would have recorded after applying its own migration.
    db.execute("INSERT INTO muster.schema_history (installed_rank, version, description, type, script, checksum,"
        + " installed_by, execution_time, success) VALUES (100, '99', 'from a newer release', 'SQL', 'V99__newer.sql',"
        + " 0, 'muster', 1, true)");
    MusterSchema.NewerSchemaException e = assertThrows(MusterSchema.NewerSchemaException.class, () -> MusterSchema.migrate(url));
    assertEquals("99", e.found());
    assertEquals(known, e.known());
    assertTrue(e.getMessage().contains("version 99") && e.getMessage().contains("up to version " + known), e.getMessage());
  }
}
