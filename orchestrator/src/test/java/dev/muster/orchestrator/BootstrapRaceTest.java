package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Replicas starting together on an empty database create Muster's objects without the catalog race. */
@ExtendWith(PostgresExtension.class)
class BootstrapRaceTest {

  @RepeatedTest(5)
  void eightReplicasStartingAtOnceOnAFreshDatabaseAllStart(TestDatabase db, @TempDir Path dir) {
    // A migration to find: an empty MUSTER_MIGRATIONS is a configuration error now.
    MusterConfig config = Replicas.config(db, new Migrations(dir).write("V1__one.sql", "SELECT 1;").dir());
    List<Vertx> vertxes = new ArrayList<>();
    List<Future<Orchestrator>> starts = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        Vertx vertx = Vertx.vertx();
        vertxes.add(vertx);
        starts.add(Orchestrator.start(vertx, config.toBuilder().replicaId("r" + i).build(), false));
      }
      Future.all(starts).await();
      assertEquals(1, db.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = 'muster'"));
      assertEquals(0, db.queryLong("SELECT seq FROM muster.event_counter"));
      // Muster's own migrations ran once, whoever took the bootstrap lock first.
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.schema_history WHERE version = '1'"));
    } finally {
      vertxes.forEach(v -> v.close().await());
    }
  }
}
