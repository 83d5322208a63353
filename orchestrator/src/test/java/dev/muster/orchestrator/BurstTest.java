package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Payload;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A burst — many events committed at once, more than the broadcaster reads in one page — reaches a live stream
 * complete, in order and once each: the frames a stream gathers in one turn of the event loop go out together in
 * one write, and nothing of them is lost, repeated or reordered on the way.
 */
@ExtendWith(PostgresExtension.class)
class BurstTest {
  static final int BURST = 1_234;

  @Test
  void aBurstOfEventsReachesALiveStreamCompleteAndInOrder(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations migrations = ArrivalModesTest.twoMigrations(dir);
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      long before = db.queryLong("SELECT coalesce(max(seq), 0) FROM muster.events");
      try (Http.Sse stream = Http.Sse.events(replicas.url(0), before)) {
        assertEquals(200, stream.status);
        EventStore store = new EventStore(null, "burst-test");
        try (Connection c = db.connect()) {
          c.setAutoCommit(false);
          for (int i = 0; i < BURST; i++) {
            store.appendInTransaction(c, new Payload.MigrationApplied("public", String.valueOf(i + 1), "burst " + i, 0L));
          }
          c.commit();
        }
        for (int i = 0; i < BURST; i++) {
          JsonObject e = stream.next();
          assertNotNull(e, "the stream ended after " + i + " of the burst");
          assertEquals(before + i + 1, e.getLong("seq"), "in order, none missing or repeated");
          assertEquals("burst " + i, e.getString("description"));
        }
      }
    }
  }
}
