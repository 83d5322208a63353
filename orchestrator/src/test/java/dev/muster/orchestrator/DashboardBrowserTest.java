package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MigrationFailedException;
import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventType;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in headless Chromium (Debian's, driven by playwright-core from npm) against a real
 * orchestrator, real PostgreSQL and real waiting services. The browser side is
 * {@code src/test/e2e/dashboard.e2e.mjs}; it asserts what the page shows and asks this test, step by step,
 * to make the fleet do things. Screenshots go to {@code target/dashboard-e2e/}; {@code docs/dashboard.md} lists
 * what is checked.
 */
@ExtendWith(PostgresExtension.class)
class DashboardBrowserTest {
  /** Held by the test, taken by public's V2: the run stays at "migrating" until the page has seen it. */
  private static final String GATE = "pg_advisory_lock(4242, 1)";
  private static final int TENANTS = 30;
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String READ_TOKEN = "read-7f3c9a";

  private final List<Vertx> vertxes = new ArrayList<>();

  @Test
  void theDashboardShowsTheFleetStartingAFailureAndTheReplayedHistoryAndSurvivesARestart(TestDatabase db,
      @TempDir Path dir) throws Exception {
    Path chromium = NodeScript.chromium();
    Path e2e = NodeScript.e2eDirectory();
    NodeScript.npmCi(e2e);
    Path shots = e2e.resolve("../../../target/dashboard-e2e").normalize();
    Files.createDirectories(shots);
    try (var old = Files.list(shots)) {
      for (Path f : old.toList()) Files.delete(f); // a failure's screenshots must be this run's
    }

    Migrations migrations = new Migrations(dir.resolve("migrations"))
        .write("V1__create_accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL);")
        .write("V2__add_orders.sql",
            "CREATE TABLE orders (id bigserial PRIMARY KEY, account_id bigint REFERENCES accounts(id));\n"
                + "DO $$ BEGIN\n"
                + "  IF '${flyway:defaultSchema}' = 'public' THEN PERFORM pg_advisory_xact_lock(4242, 1); END IF;\n"
                + "END $$;")
        .write("V3__add_audit.sql",
            "CREATE TABLE audit (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());\n"
                + "DO $$ BEGIN\n"
                + "  IF '${flyway:defaultSchema}' = 'tenant_broken' THEN INSERT INTO no_such_table VALUES (1); END IF;\n"
                + "END $$;");
    int port = freePort();
    MusterConfig config = Replicas.config(db, migrations.dir()).toBuilder().httpPort(port).replicaId("replica-a").build();
    String url = "http://127.0.0.1:" + port;

    try (Connection gate = db.connect(); Statement gateStatement = gate.createStatement()) {
      gateStatement.execute("SELECT " + GATE);
      Orchestrator[] a = {start(config)};

      // Many tenants, migrated before the page opens: its summary, search and pages are for them.
      List<Future<Event>> tenants = new ArrayList<>();
      for (int i = 1; i <= TENANTS; i++) tenants.add(a[0].migrate(String.format("tenant_%03d", i), WAIT));
      for (Future<Event> t : tenants) assertEquals(EventType.SCHEMA_READY, t.await().type());

      List<CompletableFuture<Ready>> publicWaiters = new ArrayList<>();
      List<CompletableFuture<Http.Response>> impatient = new ArrayList<>();
      NodeScript.Step steps = name -> {
        switch (name) {
          case "arrive" -> {
            publicWaiters.add(client(url, "app", "app-1", "public").readyAsync());
            publicWaiters.add(client(url, "app", "app-2", "public").readyAsync());
            publicWaiters.add(client(url, "worker", "worker-1", "public").readyAsync());
            // Raw HTTP, as a service in any language would: wait at most 1 s, then give up.
            impatient.add(CompletableFuture.supplyAsync(() -> Http.postJson(url + "/api/v1/arrivals?wait=true&timeout=1",
                new JsonObject().put("service", "beat").put("instance", "beat-1").put("schema", "public"))));
          }
          case "break" -> {
            assertEquals(504, impatient.get(0).get(WAIT.toSeconds(), TimeUnit.SECONDS).status());
            List<CompletableFuture<Ready>> broken = List.of(
                client(url, "app", "app-7", "tenant_broken").readyAsync(),
                client(url, "worker", "worker-7", "tenant_broken").readyAsync());
            for (CompletableFuture<Ready> waiter : broken) {
              ExecutionException e = assertThrows(ExecutionException.class, () -> waiter.get(WAIT.toSeconds(), TimeUnit.SECONDS));
              MigrationFailedException failed = assertInstanceOf(MigrationFailedException.class, e.getCause());
              assertEquals("42P01", failed.sqlState());
            }
          }
          case "open-gate" -> {
            gateStatement.execute("SELECT pg_advisory_unlock(4242, 1)");
            for (CompletableFuture<Ready> waiter : publicWaiters) {
              assertEquals("3", waiter.get(WAIT.toSeconds(), TimeUnit.SECONDS).version());
            }
          }
          case "stop" -> stop(a[0]);
          case "while-down" -> {
            // Another replica carries on while the page's is down; then the page's comes back on its port.
            Orchestrator b = start(config.toBuilder().httpPort(0).replicaId("replica-b").build());
            assertEquals("3", client("http://127.0.0.1:" + b.port(), "app", "app-9", "tenant_late").awaitReady().version());
            a[0] = start(config);
          }
          case "lock" -> {
            // The same replica again, now asking for a read token.
            stop(a[0]);
            a[0] = start(config.toBuilder().readToken(READ_TOKEN).build());
          }
          default -> throw new IllegalArgumentException("no such step: " + name);
        }
      };

      try (NodeScript script = NodeScript.start(e2e, "dashboard.e2e.mjs", Map.of(
          "MUSTER_URL", url,
          "MUSTER_CHROMIUM", chromium.toString(),
          "MUSTER_SCREENSHOTS", shots.toString(),
          "MUSTER_TENANTS", String.valueOf(TENANTS),
          "MUSTER_READ_TOKEN", READ_TOKEN))) {
        int exit = script.run(steps, Duration.ofSeconds(150));
        assertEquals(0, exit, "the browser test failed; what it printed:\n" + script.transcript());
      }
    } finally {
      for (Vertx v : vertxes) v.close().await();
    }
    for (String shot : List.of("01-pending.png", "02-migrating-and-failed.png", "03-ready.png", "04-late-dark.png",
        "05-reconnecting.png", "06-resynced.png", "07-narrow-dark.png", "08-read-token.png")) {
      assertTrue(Files.size(shots.resolve(shot)) > 10_000, shot + " was saved");
    }
  }

  private Orchestrator start(MusterConfig config) {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    return Orchestrator.start(vertx, config, true).await();
  }

  private void stop(Orchestrator o) {
    o.stop().await();
  }

  private static MusterClient client(String url, String service, String instance, String schema) {
    return MusterClient.builder().url(url).service(service).instance(instance).schema(schema).timeout(WAIT).build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }
}
