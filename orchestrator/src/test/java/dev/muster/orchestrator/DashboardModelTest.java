package dev.muster.orchestrator;

import dev.muster.orchestrator.events.EventType;
import dev.muster.orchestrator.events.SchemaStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's model (orchestrator/src/main/resources/dashboard/model.js) under Node's own test runner:
 * replays, snapshots racing events, failures reaching waiting instances, bounded memory, paging; and its lists
 * of event types and states against the Java model.
 */
class DashboardModelTest {

  @Test
  void theDashboardModelPassesItsUnitTests() throws Exception {
    NodeScript.runToEnd(NodeScript.e2eDirectory(), Duration.ofSeconds(60), "--test", "model.test.mjs");
  }

  @Test
  void theDashboardKnowsTheSameEventTypesAndStatesAsTheOrchestrator(@TempDir Path dir) throws Exception {
    JsonArray service = new JsonArray();
    JsonArray schema = new JsonArray();
    for (EventType t : EventType.values()) (t.scope() == EventType.Scope.SERVICE ? service : schema).add(t.wire());
    JsonObject model = new JsonObject()
        .put("eventTypes", new JsonArray(Arrays.stream(EventType.values()).map(EventType::wire).toList()))
        .put("serviceEventTypes", service)
        .put("schemaEventTypes", schema)
        .put("states", new JsonArray(Arrays.stream(SchemaStatus.values()).map(SchemaStatus::wire).toList()));
    Path file = Files.writeString(dir.resolve("model.json"), model.encode());
    NodeScript.runToEnd(NodeScript.e2eDirectory(), Map.of("MUSTER_MODEL", file.toString()), Duration.ofSeconds(60),
        "--test", "contract.test.mjs");
  }
}
