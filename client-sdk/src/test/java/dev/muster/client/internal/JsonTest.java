package dev.muster.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
  @Test
  void readsAnEventsData() {
    Map<String, Object> event = Json.parseObject("{\"seq\": 17, \"type\": \"schema.failed\", \"schema\": \"public\","
        + " \"version\": \"3\", \"error\": {\"sqlState\": \"42P01\", \"message\": \"relation \\\"x\\\" does not exist\"},"
        + " \"durationMs\": 1234, \"orchestrator\": null, \"retrying\": false}");

    assertEquals(17L, event.get("seq"));
    assertEquals("schema.failed", event.get("type"));
    assertEquals(Map.of("sqlState", "42P01", "message", "relation \"x\" does not exist"), event.get("error"));
    assertEquals(1234L, event.get("durationMs"));
    assertTrue(event.containsKey("orchestrator"));
    assertNull(event.get("orchestrator"));
    assertEquals(false, event.get("retrying"));
    assertEquals(List.of("seq", "type", "schema", "version", "error", "durationMs", "orchestrator", "retrying"),
        List.copyOf(event.keySet()));
  }

  @Test
  void decodesEveryEscape() {
    assertEquals("\" \\ / \b \f \n \r \t", value("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""));
  }

  @Test
  void decodesUnicodeEscapesIncludingSurrogatePairs() {
    assertEquals("A é ≥ 😀", value("\"\\u0041 \\u00e9 \\u2265 \\uD83D\\uDE00\""));
    assertEquals("é ≥ 😀", value("\"é ≥ 😀\""));
  }

  @Test
  void readsNumbers() {
    assertEquals(0L, value("0"));
    assertEquals(-42L, value("-42"));
    assertEquals(Long.MAX_VALUE, value("9223372036854775807"));
    assertEquals(new BigDecimal("9223372036854775808"), value("9223372036854775808"));
    assertEquals(new BigDecimal("1.5"), value("1.5"));
    assertEquals(new BigDecimal("-0.5E-2"), value("-0.5E-2"));
    assertEquals(new BigDecimal("1e3"), value("1e3"));
  }

  @Test
  void readsArraysAndNesting() {
    assertEquals(List.of(1L, "two", Arrays.asList(true, null), Map.of()), value("[1, \"two\", [true, null], {}]"));
    assertEquals(List.of(), value("[ ]"));
  }

  @Test
  void textOfStringsAndNumbers() {
    assertEquals("4", Json.text("4"));
    assertEquals("4", Json.text(4L));
    assertEquals("1.20", Json.text(new BigDecimal("1.20")));
    assertNull(Json.text(true));
    assertNull(Json.text(null));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "   ", "[]", "\"text\"", "{", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":01}", "{\"a\":1.}",
      "{\"a\":-}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}",
      "{\"a\":\"open}", "{\"a\":\"line\nbreak\"}", "{\"a\":1} x", "{\"a\":[1,]}", "{\"a\":1}{}"})
  void rejectsMalformedInput(String text) {
    var failure = assertThrows(IllegalArgumentException.class, () -> Json.parseObject(text));

    assertTrue(failure.getMessage().startsWith("malformed JSON at offset "), failure.getMessage());
  }

  @Test
  void rejectsHostileNesting() {
    String deep = "{\"a\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";

    assertThrows(IllegalArgumentException.class, () -> Json.parseObject(deep));
  }

  @Test
  void quotesWhatJsonRequires() {
    assertEquals("\"plain\"", Json.quote("plain"));
    assertEquals("\"a \\\"b\\\" \\\\ \\n\\r\\t\\b\\f \\u0001 é ≥\"", Json.quote("a \"b\" \\ \n\r\t\b\f \u0001 é ≥"));
  }

  @Test
  void quotedTextReadsBack() {
    String text = "tab\t \"quotes\" \\ \u0000 \u001f 😀 /";

    assertEquals(text, Json.parseObject("{\"k\":" + Json.quote(text) + "}").get("k"));
  }

  private static Object value(String json) {
    return Json.parseObject("{\"v\":" + json + "}").get("v");
  }
}
