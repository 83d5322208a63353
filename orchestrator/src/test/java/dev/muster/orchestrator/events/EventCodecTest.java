package dev.muster.orchestrator.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EventCodecTest {

  /** One of each type, with every field set. */
  static List<Payload> everyType() {
    return List.of(
        new Payload.ServiceStarting("public", "app", "app-1", "3"),
        new Payload.ServiceReleased("public", "app", "app-1", "3", 120L),
        new Payload.ServiceGaveUp("public", "app", "app-2", "3", 60_000L),
        new Payload.LockAcquired("public", "1", "3", 2, 4711, List.of("public.items_sku")),
        new Payload.MigrationStarted("public", "2", "add orders"),
        new Payload.MigrationApplied("public", "2", "add orders", 15L),
        new Payload.SchemaReady("public", "3", 2, 40L),
        new Payload.SchemaFailed("public", "3", "broken", "2", new Payload.RunError("42P01", "no such table"), 41L),
        // Lock safety.
        new Payload.MigrationBlocked("public", "2", "add column", 1, 4712, 1000L, List.of(new Payload.Blocker(18142,
            "app-3", "app", "10.0.0.5", "idle in transaction", 41_000L, 40_000L, "SELECT count(*) FROM t"))),
        new Payload.MigrationRetrying("public", "2", "add column", 2, 180L,
            new Payload.RunError("55P03", "canceling statement due to lock timeout"), List.of()),
        new Payload.MigrationIntervened("public", Payload.Action.CANCEL, 18142, "alice", true),
        new Payload.SchemaRepaired("public", "checksum mismatch for 2", null, 1, 0, 0),
        new Payload.SchemaInterrupted("public", "2", 1, 3, new Payload.RunError("57P01",
            "terminating connection due to administrator command")),
        // Delegated runs.
        new Payload.MigratorElected("legacy", "web", "web-1", 9L, 15, "3f2a", "4b1c", "deploy-7"),
        new Payload.MigratorLost("legacy", "web", "web-1", 9L, Payload.MigratorLost.LEASE_EXPIRED),
        new Payload.SchemaFailed("legacy", null, null, "3f2a",
            new Payload.RunError(null, "web/web-1's migration command failed with exit code 1", 1, "boom\n"), 5L),
        // A bounded log.
        new Payload.LogPruned("public", 10L, 250L));
  }

  /** As the log hands an appended event back: its fields with seq and at. */
  static Event logged(Payload payload, long seq, String at) {
    return EventCodec.decode(EventCodec.encode(payload, "replica-a").put(Fields.SEQ, seq).put(Fields.AT, at).encode());
  }

  @Test
  void everyTypeReadsBackAsItWasWritten() {
    Set<EventType> covered = EnumSet.noneOf(EventType.class);
    long seq = 0;
    for (Payload p : everyType()) {
      Event e = logged(p, ++seq, "2026-12-01T10:11:12.345678+00:00");
      assertEquals(p, e.payload(), p.typeName());
      assertEquals(seq, e.seq());
      assertEquals("replica-a", e.orchestrator());
      assertEquals(Instant.parse("2026-12-01T10:11:12.345678Z"), e.at());
      covered.add(p.type());
    }
    assertEquals(EnumSet.allOf(EventType.class), covered, "a sample of each type");
  }

  @Test
  void theWireFormCarriesTheContractsFieldNames() {
    JsonObject failed = EventCodec.encode(everyType().get(7), "replica-a");
    assertEquals("schema.failed", failed.getString("type"));
    assertEquals("public", failed.getString("schema"));
    assertEquals("replica-a", failed.getString("orchestrator"));
    assertEquals("2", failed.getString("schemaVersion"));
    assertEquals(new JsonObject().put("sqlState", "42P01").put("message", "no such table"), failed.getJsonObject("error"));
    JsonObject lock = EventCodec.encode(everyType().get(3), "replica-a");
    assertEquals(4711, lock.getInteger("lockSession"));
    assertEquals("public.items_sku", lock.getJsonArray("droppedInvalidIndexes").getString(0));
    JsonObject ready = EventCodec.encode(new Payload.SchemaReady("public", null, 0, 3L), "replica-a");
    assertTrue(ready.containsKey("version") && ready.getValue("version") == null, "optional fields are written as null");
  }

  @Test
  void theFailureReportIsTheErrorWithTheMigrationThatFailed() {
    Payload.SchemaFailed failed = (Payload.SchemaFailed) everyType().get(7);
    assertEquals(new JsonObject().put("sqlState", "42P01").put("message", "no such table").put("version", "3")
        .put("description", "broken"), EventCodec.encode(failed.report()));
  }

  @Test
  void aTypeThisBuildDoesNotKnowIsKeptWholeAndScopedByItsName() {
    String text = new JsonObject().put("seq", 9).put("at", "2026-12-01T10:11:12+01:00").put("type", "tool.elected")
        .put("schema", "public").put("service", "app").put("run", 9).encode();
    Event e = EventCodec.decode(text);
    assertNull(e.type());
    assertEquals("tool.elected", e.typeName());
    assertEquals(Instant.parse("2026-12-01T09:11:12Z"), e.at());
    assertEquals(text, e.encoded(), "passed on as it came");
    assertEquals(9, ((Payload.Unrecognized) e.payload()).fields().getInteger("run"));
    assertEquals(EventType.Scope.SCHEMA, EventType.scopeOf("tool.elected"));
    assertEquals(EventType.Scope.SERVICE, EventType.scopeOf("service.heartbeat"));
  }

  @Test
  void theLogsTextIsPassedOnCompactAsTheEncoderWritesIt() {
    // As PostgreSQL writes jsonb: ", " and ": " between items; here also white space the encoder never writes.
    String jsonb = "{\"at\": \"2026-12-01T10:11:12.5+02:00\", \"seq\": 7, \"type\": \"schema.failed\",\n\t\"error\":"
        + " {\"message\": \"a, \\\"b\\\": c\\n\", \"sqlState\": \"42P01\"}, \"schema\": \"public\", \"version\":"
        + " \"3\", \"durationMs\": 41, \"description\": \"x : y\", \"orchestrator\": \"replica-a\","
        + " \"schemaVersion\": \"2\"}";
    Event e = EventCodec.decode(jsonb);
    assertEquals(new JsonObject(jsonb).encode(), e.encoded());
    assertEquals("a, \"b\": c\n", ((Payload.SchemaFailed) e.payload()).error().message());
    assertEquals(Instant.parse("2026-12-01T08:11:12.500Z"), e.at());
  }

  @Test
  void anElectionsRunIsItsOwnNumberAndADelegatedFailureCarriesExitCodeAndOutput() {
    Event elected = logged(new Payload.MigratorElected("legacy", "web", "web-1", null, 15, null, "4b1c", null), 42,
        "2026-12-01T10:11:12+00:00");
    assertEquals(42L, ((Payload.MigratorElected) elected.payload()).run());
    assertEquals(42, elected.json().getInteger("run"));
    Payload.SchemaFailed failed = everyType().stream()
        .filter(p -> p instanceof Payload.SchemaFailed f && f.error().exitCode() != null)
        .map(Payload.SchemaFailed.class::cast).findFirst().orElseThrow();
    JsonObject error = EventCodec.encode(failed, "replica-a").getJsonObject("error");
    assertEquals(1, error.getInteger("exitCode"));
    assertEquals("boom\n", error.getString("output"));
    assertEquals(1, EventCodec.encode(failed.report()).getInteger("exitCode"));
  }

  @Test
  void anEventNotInTheLogYetHasANullNumber() {
    Event e = Event.unlogged(Instant.parse("2026-12-01T10:00:00Z"), "replica-a", everyType().get(2));
    assertFalse(e.logged());
    assertThrows(IllegalStateException.class, e::seq);
    JsonObject json = e.json();
    assertTrue(json.containsKey("seq") && json.getValue("seq") == null);
    assertEquals("2026-12-01T10:00:00Z", json.getString("at"));
    assertEquals(everyType().get(2), EventCodec.decode(e.encoded()).payload());
  }

  @Test
  void typesAndStatesHaveTheirContractNames() {
    assertEquals(List.of("service.starting", "service.released", "service.gave_up", "schema.lock_acquired",
        "migration.started", "migration.applied", "schema.ready", "schema.failed", "migration.blocked",
        "migration.retrying", "migration.intervened", "schema.repaired", "schema.interrupted",
        "migrator.elected", "migrator.lost", "log.pruned"),
        EnumSet.allOf(EventType.class).stream().map(EventType::wire).toList());
    assertEquals(List.of("unknown", "pending", "migrating", "ready", "failed", "drifted"),
        EnumSet.allOf(SchemaStatus.class).stream().map(SchemaStatus::wire).toList());
    for (EventType t : EventType.values()) assertEquals(t, EventType.fromWire(t.wire()));
  }
}
