package dev.muster.orchestrator.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NotifyPayloadTest {

  @Test
  void aShortEventTravelsWhole() {
    JsonObject event = Event.of(Event.SCHEMA_READY, "public").put("version", "3");
    assertSame(event, EventStore.notifyPayload(event));
  }

  @Test
  void aLongErrorIsCutToFitPostgresLimitAndMarkedTruncated() {
    JsonObject event = Event.of(Event.SCHEMA_FAILED, "public")
        .put("error", new JsonObject().put("sqlState", "P0001").put("message", "é".repeat(20_000)));
    JsonObject payload = EventStore.notifyPayload(event);
    assertTrue(payload.encode().getBytes(StandardCharsets.UTF_8).length < 8000);
    assertTrue(payload.getBoolean("truncated"));
    assertEquals("P0001", payload.getJsonObject("error").getString("sqlState"));
    assertEquals(20_000, event.getJsonObject("error").getString("message").length(), "the logged event stays whole");
  }
}
