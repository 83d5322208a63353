package dev.muster.orchestrator.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.PerSchema;
import dev.muster.orchestrator.config.Setting;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The 55P03 retry policy, per-schema values and a migration's own lines: pure, no database. */
class LockRetryPolicyTest {
  private static final Duration LONG = Duration.ofHours(1);

  @Test
  void pausesDoubleFromTheFirstDelayUpToTheCapWithHalfOfEachRandom() {
    LockRetryPolicy lowest = new LockRetryPolicy(100, LONG, Duration.ofMillis(200), Duration.ofSeconds(2), n -> 0);
    LockRetryPolicy highest = new LockRetryPolicy(100, LONG, Duration.ofMillis(200), Duration.ofSeconds(2), n -> n - 1);
    long[] ceilings = {200, 400, 800, 1600, 2000, 2000};
    for (int attempt = 1; attempt <= ceilings.length; attempt++) {
      long ceiling = ceilings[attempt - 1];
      assertEquals(ceiling - ceiling / 2, lowest.next(attempt, Duration.ZERO).toMillis(), "attempt " + attempt);
      assertEquals(ceiling, highest.next(attempt, Duration.ZERO).toMillis(), "attempt " + attempt);
    }
    assertEquals(2000, highest.next(60, Duration.ZERO).toMillis(), "no overflow after many attempts");
  }

  @Test
  void theBoundsAreAttemptsAndTimeWhicheverComesFirst() {
    LockRetryPolicy p = new LockRetryPolicy(3, Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(1), n -> n - 1);
    assertEquals(100, p.next(1, Duration.ZERO).toMillis());
    assertEquals(200, p.next(2, Duration.ZERO).toMillis());
    assertNull(p.next(3, Duration.ZERO), "three attempts made: no fourth");
    assertNull(p.next(1, Duration.ofMillis(4_950)), "a pause past the time bound is not taken");
    assertNull(new LockRetryPolicy(1, LONG, Duration.ofMillis(1), Duration.ofMillis(1)).next(1, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new LockRetryPolicy(0, LONG, Duration.ofMillis(1), Duration.ofMillis(1)));
    assertTrue(LockRetryPolicy.isLockTimeout("55P03"));
    assertTrue(!LockRetryPolicy.isLockTimeout("57014"));
  }

  @Test
  void aSettingPerSchemaPatternTheFirstMatchWinning() {
    Setting.Type<PerSchema<Duration>> type = PerSchema.type(Setting.duration(Duration.ZERO, LONG));
    PerSchema<Duration> v = type.read("1s, reporting=10s, tenant_*=500ms, tenant_big=5s");
    assertEquals(Duration.ofSeconds(1), v.forSchema("public"));
    assertEquals(Duration.ofSeconds(10), v.forSchema("reporting"));
    assertEquals(Duration.ofMillis(500), v.forSchema("tenant_big"), "the first matching pattern");
    assertEquals("1s,reporting=10s,tenant_*=500ms,tenant_big=5s", type.format(v));
    assertThrows(IllegalArgumentException.class, () -> type.read("tenant_*=1s"));
    assertThrows(IllegalArgumentException.class, () -> type.read("1s,2s"));
    assertThrows(IllegalArgumentException.class, () -> type.read("1s,Bad-Name=2s"));

    MusterConfig c = MusterConfig.fromEnvironment(Map.of("MUSTER_MIGRATIONS", "filesystem:m",
        "MUSTER_LOCK_TIMEOUT", "2s,tenant_*=300ms", "MUSTER_STATEMENT_TIMEOUT", "0"));
    assertEquals(Duration.ofSeconds(2), c.lockTimeout("public"));
    assertEquals(Duration.ofMillis(300), c.lockTimeout("tenant_7"));
    assertEquals(Duration.ZERO, c.statementTimeout("tenant_7"));
    assertEquals(Duration.ofSeconds(1), MusterConfig.fromEnvironment(Map.of("MUSTER_MIGRATIONS", "m")).lockTimeout("x"),
        "the default");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> MusterConfig.fromEnvironment(Map.of(
        "MUSTER_MIGRATIONS", "m", "MUSTER_LOCK_TIMEOUT", "soon"))).getMessage().startsWith("MUSTER_LOCK_TIMEOUT"));
  }

  @Test
  void aMigrationsOwnLinesAreReadBeforeItsFirstStatement() throws IOException {
    ScriptSettings s = read("-- add a column\n-- muster:lockTimeout=5s\n\n--muster:statementTimeout = 0\nALTER TABLE t;\n"
        + "-- muster:lockTimeout=9s\n");
    assertEquals(Duration.ofSeconds(5), s.lockTimeout(), "a line after the first statement is not a setting");
    assertEquals(Duration.ZERO, s.statementTimeout());
    assertEquals(ScriptSettings.NONE, read("ALTER TABLE t ADD COLUMN c int;"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> read("-- muster:lockTimout=5s\n")).getMessage()
        .contains("unknown setting muster:lockTimout"));
    assertThrows(IllegalArgumentException.class, () -> read("-- muster:lockTimeout=soon\n"));
  }

  private static ScriptSettings read(String text) throws IOException {
    return ScriptSettings.read("V2__x.sql", new BufferedReader(new StringReader(text)));
  }
}
