package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 on the dashboard, in real Chromium (as {@link DashboardBrowserTest}): a run blocked by an application
 * session idle in transaction shows "V2 waits for pid N — app-3, idle in transaction for S s", and the lock's age;
 * once the blocker ends, the run finishes and the line goes. The browser side is {@code src/test/e2e/blocked.e2e.mjs}.
 */
@ExtendWith(PostgresExtension.class)
class BlockedRunBrowserTest {

  @Test
  void theDashboardShowsABlockedRunWithItsBlocker(TestDatabase db, @TempDir Path dir) throws Exception {
    Path chromium = NodeScript.chromium();
    Path e2e = NodeScript.e2eDirectory();
    NodeScript.npmCi(e2e);
    Path shots = e2e.resolve("../../../target/dashboard-e2e").normalize();
    Files.createDirectories(shots);
    Files.deleteIfExists(shots.resolve("blocked.png"));

    Migrations migrations = LockSafetyTest.table(dir);
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()));
        Connection app = db.connect()) {
      LockSafetyTest.atVersionOne(replicas, migrations);
      LockSafetyTest.withAlter(dir);
      int blocker = LockSafetyTest.holdAccessShare(app);
      CompletableFuture<Ready> waiter = LockSafetyTest.client(replicas.url(0), "app-new", "2").readyAsync();
      LockSafetyTest.awaitBlocked(db, blocker);

      NodeScript.Step steps = name -> {
        if (!name.equals("release")) throw new IllegalArgumentException("no such step: " + name);
        app.rollback();
        assertEquals("2", waiter.get(30, TimeUnit.SECONDS).version());
      };
      try (NodeScript script = NodeScript.start(e2e, "blocked.e2e.mjs", Map.of(
          "MUSTER_URL", replicas.url(0),
          "MUSTER_CHROMIUM", chromium.toString(),
          "MUSTER_SCREENSHOTS", shots.toString(),
          "MUSTER_BLOCKER_PID", String.valueOf(blocker)))) {
        int exit = script.run(steps, Duration.ofSeconds(90));
        assertEquals(0, exit, "the browser test failed; what it printed:\n" + script.transcript());
      }
    }
    assertTrue(Files.size(shots.resolve("blocked.png")) > 10_000, "blocked.png was saved");
  }
}
