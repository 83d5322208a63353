package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.orchestrator.CommandsTest.Run;
import dev.muster.testing.PostgresServer;
import dev.muster.testing.TestDatabase;
import dev.muster.testing.TlsPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code serve}, {@code migrate}, {@code status} and {@code plan} against a PostgreSQL that accepts only TLS:
 * with {@code require} and {@code verify-full} every session Muster opens is encrypted; a wrong CA, plain text
 * to this server, or {@code require} to a server without TLS stop the start at once (exit 2) with a message
 * that names the problem and the setting to change.
 */
class TlsCommandsTest {
  /** A refusal must come at once, never after a hang. */
  private static final Duration REFUSAL = Duration.ofSeconds(10);

  private static TlsPostgres tls;

  @BeforeAll
  static void start() {
    tls = TlsPostgres.start();
  }

  @AfterAll
  static void stop() {
    tls.close();
  }

  private static String verifyFull(TestDatabase db) {
    return tls.url(db, "sslmode=verify-full&sslrootcert=" + tls.ca());
  }

  private static Run run(String command, String url, Path migrations) {
    return CommandsTest.run(command, "--database-url", url, "--migrations", "filesystem:" + migrations);
  }

  @Test
  void oneShotCommandsWorkWithRequireAndVerifyFull(@TempDir Path dir) {
    TestDatabase db = tls.createDatabase();
    Migrations m = ArrivalModesTest.twoMigrations(dir);
    Run plan = run("plan", verifyFull(db), m.dir());
    assertEquals(0, plan.exit(), plan.err());
    assertTrue(plan.out().contains("2 pending"), plan.out());
    Run migrate = run("migrate", tls.url(db, "sslmode=require"), m.dir());
    assertEquals(0, migrate.exit(), migrate.err());
    assertEquals("public: ready at version 2\n", migrate.out());
    Run again = run("migrate", verifyFull(db), m.dir());
    assertEquals(0, again.exit(), again.err());
    Run status = run("status", verifyFull(db), m.dir());
    assertEquals(0, status.exit(), status.err());
    assertTrue(status.out().matches("(?s).*public\\s+ready\\s+2\\s+2.*"), status.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"require", "verify-full"})
  void serveOpensOnlyEncryptedSessions(String sslmode, @TempDir Path dir) throws Exception {
    TestDatabase db = tls.createDatabase();
    db.execute("CREATE SCHEMA gate; CREATE TABLE gate.gate (open boolean)");
    Migrations m = Migrations.aroundSecond(dir, "SELECT count(*) FROM gate.gate;");
    String url = sslmode.equals("require") ? tls.url(db, "sslmode=require") : verifyFull(db);
    try (Connection gate = db.connect();
        OrchestratorProcess serve = OrchestratorProcess.start("tls-serve", url, m.dir(), Map.of())) {
      // The second migration waits behind this lock, so its JDBC session is there to be seen.
      gate.setAutoCommit(false);
      gate.createStatement().execute("LOCK TABLE gate.gate IN ACCESS EXCLUSIVE MODE");
      String orchestrator = serve.url();
      assertTrue(serve.log().contains("sslmode=" + sslmode), "the start-up log shows the sslmode:\n" + serve.log());
      assertFalse(serve.log().contains(tls.password()), serve.log());

      CompletableFuture<Ready> app = MusterClient.builder().url(orchestrator).service("app")
          .timeout(Duration.ofSeconds(60)).build().readyAsync();
      Poll.until("the migration waits at the gate", () -> tls.admin().queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = ?"
          + " AND wait_event_type = 'Lock'", db.name()) == 1);

      List<Map<String, Object>> sessions = tls.admin().query("SELECT a.application_name, s.ssl, s.version"
          + " FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = ? AND a.pid <> ?",
          db.name(), gateBackend(gate));
      assertTrue(sessions.size() >= 3, "the pool, the listener and the migration at least: " + sessions);
      assertTrue(sessions.stream().allMatch(s -> Boolean.TRUE.equals(s.get("ssl"))), "all encrypted: " + sessions);
      assertTrue(sessions.stream().anyMatch(s -> String.valueOf(s.get("application_name")).startsWith("muster-listen")),
          "the Vert.x listener among them: " + sessions);

      gate.rollback();
      assertEquals("3", app.get(60, TimeUnit.SECONDS).version());
    }
  }

  private static int gateBackend(Connection gate) throws Exception {
    try (var rs = gate.createStatement().executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aWrongCaStopsMigrateAtOnceNamingTheCertificateAndTheSetting(@TempDir Path dir) {
    TestDatabase db = tls.createDatabase();
    long begin = System.nanoTime();
    Run migrate = run("migrate", tls.url(db, "sslmode=verify-full&sslrootcert=" + tls.otherCa()),
        ArrivalModesTest.twoMigrations(dir).dir());
    Duration took = Duration.ofNanos(System.nanoTime() - begin);
    assertEquals(2, migrate.exit(), migrate.out() + migrate.err());
    assertTrue(took.compareTo(REFUSAL) < 0, "refused after " + took);
    assertTrue(migrate.err().contains("the server's certificate is not signed by a CA in sslrootcert ("
        + tls.otherCa() + ")"), migrate.err());
    assertTrue(migrate.err().contains("MUSTER_DATABASE_SSLROOTCERT"), migrate.err());
    assertFalse(migrate.err().contains(tls.password()), migrate.err());
  }

  @Test
  void aWrongCaStopsServeAtOnceWithExit2(@TempDir Path dir) throws Exception {
    TestDatabase db = tls.createDatabase();
    try (OrchestratorProcess serve = OrchestratorProcess.start("tls-wrong-ca", tls.url(db, ""),
        ArrivalModesTest.twoMigrations(dir).dir(),
        Map.of("MUSTER_DATABASE_SSLMODE", "verify-full", "MUSTER_DATABASE_SSLROOTCERT", tls.otherCa().toString()))) {
      assertEquals(2, serve.awaitExit(REFUSAL), serve.log());
      assertTrue(serve.log().contains("is not signed by a CA in sslrootcert"), serve.log());
      assertFalse(serve.log().contains(tls.password()), serve.log());
    }
  }

  @Test
  void plainTextToTheTlsOnlyServerIsRefusedClearly(@TempDir Path dir) {
    Run migrate = run("migrate", tls.url(tls.createDatabase(), "sslmode=disable"),
        ArrivalModesTest.twoMigrations(dir).dir());
    assertEquals(2, migrate.exit(), migrate.out() + migrate.err());
    assertTrue(migrate.err().contains("accepts only encrypted connections"), migrate.err());
    assertTrue(migrate.err().contains("MUSTER_DATABASE_SSLMODE"), migrate.err());
  }

  @Test
  void requireToAServerWithoutTlsIsRefusedNeverPlainText(@TempDir Path dir) {
    TestDatabase plain = PostgresServer.shared().createDatabase();
    try {
      Migrations m = ArrivalModesTest.twoMigrations(dir);
      Run status = run("status", plain.url() + "?sslmode=require", m.dir());
      assertEquals(2, status.exit(), status.out() + status.err());
      assertTrue(status.err().contains("does not offer TLS, but sslmode=require requires it"), status.err());
      Run migrate = run("migrate", plain.url() + "?sslmode=require", m.dir());
      assertEquals(2, migrate.exit(), migrate.out() + migrate.err());
      assertEquals(0, plain.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = 'muster'"), "nothing touched");
    } finally {
      PostgresServer.shared().dropDatabase(plain);
    }
  }
}
