package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.MusterConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The limits and the read token come from the environment; a bad value is refused naming its variable. */
class SecurityConfigTest {

  @Test
  void limitsAndTheReadTokenAreReadFromTheEnvironment() {
    MusterConfig c = MusterConfig.fromEnvironment(Map.of(
        "MUSTER_MIGRATIONS", "filesystem:migrations",
        "MUSTER_TOKEN", "write-secret",
        "MUSTER_READ_TOKEN", "read-secret",
        "MUSTER_MAX_BODY_BYTES", "4096",
        "MUSTER_MAX_HEADER_BYTES", "8192",
        "MUSTER_MAX_STREAMS", "100",
        "MUSTER_MAX_STREAMS_PER_CLIENT", "10",
        "MUSTER_STREAM_IDLE_TIMEOUT", "30"));
    assertEquals("read-secret", c.readToken());
    assertEquals(4096, c.maxBodyBytes());
    assertEquals(8192, c.maxHeaderBytes());
    assertEquals(100, c.maxStreams());
    assertEquals(10, c.maxStreamsPerClient());
    assertEquals(Duration.ofSeconds(30), c.streamIdleTimeout());
    assertFalse(c.toString().contains("secret"), c.toString());
    assertTrue(c.toString().contains("readToken=set"), c.toString());
  }

  @Test
  void unsetMeansTheDefaults() {
    MusterConfig c = MusterConfig.fromEnvironment(Map.of("MUSTER_MIGRATIONS", "filesystem:migrations"));
    assertNull(c.readToken(), "unset: reads are open");
    assertNull(c.token(), "unset: writes are open (with a warning)");
    assertEquals(MusterConfig.DEFAULT_MAX_BODY_BYTES, c.maxBodyBytes());
    assertEquals(MusterConfig.DEFAULT_MAX_HEADER_BYTES, c.maxHeaderBytes());
    assertEquals(MusterConfig.DEFAULT_MAX_STREAMS, c.maxStreams());
    assertEquals(MusterConfig.DEFAULT_MAX_STREAMS_PER_CLIENT, c.maxStreamsPerClient());
    assertEquals(MusterConfig.DEFAULT_STREAM_IDLE_TIMEOUT, c.streamIdleTimeout());
  }

  @Test
  void aTokenSetButEmptyIsAMistakeNotAnOpenOrchestrator() {
    for (String name : new String[] {"MUSTER_TOKEN", "MUSTER_READ_TOKEN"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> MusterConfig.fromEnvironment(Map.of("MUSTER_MIGRATIONS", "filesystem:m", name, "")));
      assertTrue(e.getMessage().contains(name + " is set but empty"), e.getMessage());
    }
  }

  @Test
  void serveWithAnEmptyTokenExits2InsteadOfServingOpen(@TempDir Path dir) throws Exception {
    try (OrchestratorProcess serve = OrchestratorProcess.start("empty-token", "postgresql://muster@127.0.0.1:1/none",
        dir, Map.of("MUSTER_TOKEN", ""))) {
      assertEquals(2, serve.awaitExit(Duration.ofSeconds(60)), serve.log());
      assertTrue(serve.log().contains("MUSTER_TOKEN is set but empty"), serve.log());
    }
  }

  @Test
  void badValuesAreRefusedNamingTheVariable() {
    Map<String, String> bad = Map.of(
        "MUSTER_MAX_BODY_BYTES", "1000",
        "MUSTER_MAX_HEADER_BYTES", "lots",
        "MUSTER_MAX_STREAMS", "0",
        "MUSTER_MAX_STREAMS_PER_CLIENT", "-1",
        "MUSTER_STREAM_IDLE_TIMEOUT", "0");
    bad.forEach((name, value) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> MusterConfig.fromEnvironment(Map.of(name, value)), name + "=" + value);
      assertTrue(e.getMessage().contains(name), e.getMessage());
    });
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> MusterConfig.fromEnvironment(Map.of("MUSTER_STREAM_IDLE_TIMEOUT", "1m"))).getMessage().contains("seconds"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> MusterConfig.fromEnvironment(Map.of("MUSTER_MAX_BODY_BYTES", "99999999"))).getMessage().contains("16777216"));
  }
}
