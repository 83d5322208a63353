package dev.muster.orchestrator.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.MusterConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MUSTER_EVENTS_RETENTION's text: an age, a count, or both. */
class RetentionTest {

  @Test
  void anAgeACountOrBothReadBackAsWritten() {
    assertEquals(new Retention(Duration.ofDays(30), null), Retention.parse("30d"));
    assertEquals(new Retention(Duration.ofHours(12), null), Retention.parse("12h"));
    assertEquals(new Retention(Duration.ofMinutes(90), null), Retention.parse("90m"));
    assertEquals(new Retention(null, 1_000_000L), Retention.parse("1000000"));
    Retention both = Retention.parse("30d, 1000000");
    assertEquals(new Retention(Duration.ofDays(30), 1_000_000L), both);
    assertEquals("30d,1000000", both.format());
    assertEquals(both, Retention.parse(both.format()));
    assertEquals("3601s", new Retention(Duration.ofSeconds(3601), null).format());
  }

  @Test
  void anythingElseIsAConfigurationErrorNamingTheSetting() {
    for (String bad : new String[] {"", "30x", "30d,40d", "1,2", "-5", "0", "0s", "forever"}) {
      assertThrows(IllegalArgumentException.class, () -> Retention.parse(bad), bad);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MusterConfig.fromEnvironment(
        Map.of("MUSTER_MIGRATIONS", "filesystem:m", "MUSTER_EVENTS_RETENTION", "a week")));
    assertTrue(e.getMessage().contains("MUSTER_EVENTS_RETENTION"), e.getMessage());
  }

  @Test
  void unsetKeepsEveryEvent() {
    assertNull(MusterConfig.fromEnvironment(Map.of("MUSTER_MIGRATIONS", "filesystem:m")).eventsRetention());
    assertEquals(Retention.parse("7d"), MusterConfig.fromEnvironment(
        Map.of("MUSTER_MIGRATIONS", "filesystem:m", "MUSTER_EVENTS_RETENTION", "7d")).eventsRetention());
  }
}
