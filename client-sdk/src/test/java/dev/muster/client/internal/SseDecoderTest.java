package dev.muster.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseDecoderTest {
  @Test
  void blankLineDispatchesTheEvent() {
    assertEquals(List.of(new SseDecoder.Event("17", "schema.ready", "{\"seq\":17}")),
        decode("id: 17", "event: schema.ready", "data: {\"seq\":17}", ""));
  }

  @Test
  void nothingIsDispatchedWithoutTheBlankLine() {
    assertEquals(List.of(), decode("id: 17", "event: schema.ready", "data: {}"));
  }

  @Test
  void commentsAndHeartbeatsAreIgnored() {
    assertEquals(List.of(new SseDecoder.Event(null, "message", "x")), decode(": ping", "", ":", "data: x", ": ping", ""));
  }

  @Test
  void dataLinesAreJoinedWithNewlines() {
    assertEquals(List.of(new SseDecoder.Event(null, "message", "first\n\nthird")),
        decode("data: first", "data", "data: third", ""));
  }

  @Test
  void onlyOneSpaceAfterTheColonIsDropped() {
    assertEquals(List.of(new SseDecoder.Event(null, "message", "x"), new SseDecoder.Event(null, "message", " x")),
        decode("data:x", "", "data:  x", ""));
  }

  @Test
  void eventWithoutDataIsNotDispatchedButItsIdIsKept() {
    assertEquals(List.of(new SseDecoder.Event("5", "message", "x")), decode("id: 5", "event: ignored", "", "data: x", ""));
  }

  @Test
  void idCarriesOverAndTypeDoesNot() {
    assertEquals(List.of(new SseDecoder.Event("1", "migration.started", "a"), new SseDecoder.Event("1", "message", "b")),
        decode("id: 1", "event: migration.started", "data: a", "", "data: b", ""));
  }

  @Test
  void idWithNulIsIgnored() {
    assertEquals(List.of(new SseDecoder.Event("1", "message", "a")), decode("id: 1", "id: 2\0", "data: a", ""));
  }

  @Test
  void retryAndUnknownFieldsAreIgnored() {
    assertEquals(List.of(new SseDecoder.Event(null, "message", "a")), decode("retry: 10", "foo: bar", "data: a", ""));
  }

  @Test
  void leadingByteOrderMarkIsDropped() {
    assertEquals(List.of(new SseDecoder.Event("1", "message", "a")), decode("\uFEFFid: 1", "data: a", ""));
  }

  private static List<SseDecoder.Event> decode(String... lines) {
    SseDecoder decoder = new SseDecoder();
    List<SseDecoder.Event> events = new ArrayList<>();
    for (String line : lines) {
      SseDecoder.Event event = decoder.accept(line);
      if (event != null) {
        events.add(event);
      }
    }
    return events;
  }
}
