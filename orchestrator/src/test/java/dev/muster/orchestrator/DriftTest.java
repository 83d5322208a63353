package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9.2: drift is its own state. An applied migration edited afterwards, deleted, or unknown to the files is
 * {@code drifted} everywhere — {@code /api/v1/schemas}, {@code status}, arrivals, {@code migrate}'s exit code — and
 * never ready; {@code repair} accepts it, under the lock, as a {@code schema.repaired} event. A migrations location
 * that does not exist stops {@code serve} and {@code migrate} with exit 2.
 */
@ExtendWith(PostgresExtension.class)
class DriftTest {

  @Test
  void anEditedAppliedMigrationIsDriftedUntilRepaired(TestDatabase db, @TempDir Path dir) throws Exception {
    driftedThenRepaired(db, dir, m -> m.write("V2__orders.sql", "CREATE TABLE orders (id bigserial PRIMARY KEY, note text);"),
        "checksum");
  }

  @Test
  void aDeletedAppliedMigrationIsDriftedUntilRepaired(TestDatabase db, @TempDir Path dir) throws Exception {
    driftedThenRepaired(db, dir, m -> delete(m.dir().resolve("V2__orders.sql")), "2");
  }

  @Test
  void anAppliedVersionTheFilesDoNotKnowIsDriftedUntilRepaired(TestDatabase db, @TempDir Path dir) throws Exception {
    driftedThenRepaired(db, dir, m -> delete(m.dir().resolve("V3__audit.sql")), "3");
  }

  @Test
  void aMigrationsLocationThatDoesNotExistIsExit2UnlessAllowed(TestDatabase db, @TempDir Path dir) {
    String missing = "filesystem:" + dir.resolve("no-such-directory");
    CommandsTest.Run migrate = CommandsTest.run("migrate", "--database-url", db.url(), "--migrations", missing);
    assertEquals(2, migrate.exit(), migrate.out() + migrate.err());
    assertTrue(migrate.err().contains("holds no migrations"), migrate.err());
    CommandsTest.Run serve = CommandsTest.run("serve", "--database-url", db.url(), "--migrations", missing,
        "--http-port", "0");
    assertEquals(2, serve.exit(), serve.out() + serve.err());
    CommandsTest.Run empty = CommandsTest.run("migrate", "--database-url", db.url(), "--migrations",
        "filesystem:" + dir, "--allow-no-migrations", "true");
    assertEquals(0, empty.exit(), empty.out() + empty.err());
  }

  private static void driftedThenRepaired(TestDatabase db, Path dir, Consumer<Migrations> drift, String named)
      throws Exception {
    Migrations m = new Migrations(dir.resolve("migrations"))
        .write("V1__accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY);")
        .write("V2__orders.sql", "CREATE TABLE orders (id bigserial PRIMARY KEY);")
        .write("V3__audit.sql", "CREATE TABLE audit (id bigserial PRIMARY KEY);");
    String[] common = {"--database-url", db.url(), "--migrations", "filesystem:" + m.dir()};
    CommandsTest.Run first = CommandsTest.run(concat("migrate", common));
    assertEquals(0, first.exit(), first.out() + first.err());
    drift.accept(m);

    // The commands: status says drifted with Flyway's words; migrate exits non-zero.
    JsonObject status = schemaOf(CommandsTest.run(concat("status", concat("--json", common))));
    assertEquals("drifted", status.getString("state"), status.encode());
    assertTrue(status.getString("drift").contains(named), status.encode());
    CommandsTest.Run migrate = CommandsTest.run(concat("migrate", common));
    assertEquals(3, migrate.exit(), migrate.out() + migrate.err());
    assertTrue(migrate.out().contains("public: DRIFTED"), migrate.out());

    // A replica: the schema list says drifted, an arrival is refused with the drift, not released.
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, m.dir()))) {
      // The replica reads each schema's files and history in the background after it starts.
      Poll.until("the replica reads the schema", java.time.Duration.ofSeconds(10), () -> view(replicas).getString("latestVersion") != null);
      JsonObject view = view(replicas);
      assertEquals("drifted", view.getString("state"), view.encode());
      assertNotNull(view.getString("drift"));
      Http.Response arrival = Http.postJson(replicas.url(0) + "/api/v1/arrivals?wait=true&timeout=5",
          new JsonObject().put("service", "app").put("instance", "app-1").put("schema", "public"));
      assertEquals(409, arrival.status(), arrival.body());
      assertEquals("schema_drifted", arrival.json().getString("error"), arrival.body());

      // repair accepts it, under the lock, on the record; every reader sees the schema ready again.
      CommandsTest.Run repair = CommandsTest.run(concat("repair", common));
      assertEquals(0, repair.exit(), repair.out() + repair.err());
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.repaired'"
          + " AND data->>'remaining' IS NULL AND data->>'accepted' IS NOT NULL"));
      Poll.until("the replica takes schema.repaired", java.time.Duration.ofSeconds(10),
          () -> "ready".equals(view(replicas).getString("state")));
      Http.Response again = Http.postJson(replicas.url(0) + "/api/v1/arrivals?wait=true&timeout=5",
          new JsonObject().put("service", "app").put("instance", "app-2").put("schema", "public"));
      assertEquals(200, again.status(), again.body());
    }
    assertEquals("ready", schemaOf(CommandsTest.run(concat("status", concat("--json", common)))).getString("state"));
    CommandsTest.Run after = CommandsTest.run(concat("migrate", common));
    assertEquals(0, after.exit(), after.out() + after.err());
  }

  private static JsonObject view(Replicas replicas) {
    return Http.get(replicas.url(0) + "/api/v1/schemas").json().getJsonArray("schemas").getJsonObject(0);
  }

  private static JsonObject schemaOf(CommandsTest.Run status) {
    assertEquals(0, status.exit(), status.err());
    return new JsonObject(status.out()).getJsonArray("schemas").getJsonObject(0);
  }

  private static String[] concat(String first, String... rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private static void delete(Path file) {
    try {
      Files.delete(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
