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
    JsonObject event = EventCodec.encode(new Payload.SchemaReady("public", "3", 1, 5L), "replica-a");
    assertSame(event, EventStore.notifyPayload(event));
  }

  @Test
  void aLongErrorIsCutToFitPostgresLimitAndMarkedTruncated() {
    JsonObject event = EventCodec.encode(new Payload.SchemaFailed("public", "2", "boom", "1",
        new Payload.RunError("P0001", "é".repeat(20_000)), 5L), "replica-a");
    JsonObject payload = EventStore.notifyPayload(event);
    assertTrue(payload.encode().getBytes(StandardCharsets.UTF_8).length < 8000);
    assertTrue(payload.getBoolean("truncated"));
    assertEquals("P0001", payload.getJsonObject("error").getString("sqlState"));
    assertEquals(20_000, event.getJsonObject("error").getString("message").length(), "the logged event stays whole");
  }

  @Test
  void theStoredTextIsTheNoticeWhenItsBytesFit() {
    JsonObject small = EventCodec.encode(new Payload.SchemaReady("public", "3", 1, 5L), "replica-a");
    String text = small.encode();
    assertSame(text, EventStore.notice(small, text));
    // 3,000 two-byte characters: more characters than a third of the limit, fewer bytes than the limit.
    JsonObject wide = EventCodec.encode(new Payload.SchemaFailed("public", "2", "boom", "1",
        new Payload.RunError("P0001", "é".repeat(3_000)), 5L), "replica-a");
    String wideText = wide.encode();
    assertSame(wideText, EventStore.notice(wide, wideText));
    JsonObject tooLong = EventCodec.encode(new Payload.SchemaFailed("public", "2", "boom", "1",
        new Payload.RunError("P0001", "é".repeat(4_000)), 5L), "replica-a");
    JsonObject notice = new JsonObject(EventStore.notice(tooLong, tooLong.encode()));
    assertTrue(notice.getBoolean("truncated"));
    assertEquals(EventStore.notifyPayload(tooLong), notice);
  }
}
