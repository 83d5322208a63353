package dev.muster.orchestrator.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {

  @Test
  void schemaPatternsAdmitMatchingIdentifiersOnly() {
    SchemaNames names = SchemaNames.parse("public, tenant_*");
    assertNull(names.rejection("public"));
    assertNull(names.rejection("tenant_42"));
    assertTrue(names.rejection("billing").contains("not in MUSTER_SCHEMAS"));
    assertTrue(names.rejection("tenant_\"x").contains("must match"));
    assertTrue(names.rejection("tenant_a;drop").contains("must match"));
    assertTrue(names.rejection("t".repeat(64)).contains("at most 63"));
    assertEquals(List.of("public"), names.literals());
    assertThrows(IllegalArgumentException.class, () -> SchemaNames.parse("Public"));
    assertThrows(IllegalArgumentException.class, () -> SchemaNames.parse(" , "));
  }

  @Test
  void databaseUrlsParseInBothFormsAndNeverPrintThePassword() {
    DatabaseUrl plain = DatabaseUrl.parse("postgresql://muster:s%40cret@db.internal:6543/fleet");
    assertEquals(List.of("db.internal", 6543, "fleet", "muster", "s@cret"),
        List.of(plain.host(), plain.port(), plain.database(), plain.user(), plain.password()));
    assertTrue(plain.jdbcUrl().startsWith("jdbc:postgresql://db.internal:6543/fleet?sslmode=prefer"), plain.jdbcUrl());
    assertEquals("postgresql://muster@db.internal:6543/fleet?sslmode=prefer", plain.toString());

    DatabaseUrl jdbc = DatabaseUrl.parse("jdbc:postgresql://localhost/fleet?user=app&password=pw");
    assertEquals(List.of("localhost", 5432, "fleet", "app", "pw"),
        List.of(jdbc.host(), jdbc.port(), jdbc.database(), jdbc.user(), jdbc.password()));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DatabaseUrl.parse("mysql://root:hunter2@localhost/db"));
    assertTrue(e.getMessage().contains("MUSTER_DATABASE_URL"));
    assertTrue(!e.getMessage().contains("hunter2"), e.getMessage());
  }

  @Test
  void environmentVariablesSetTheConfigurationAndBadValuesNameTheVariable() {
    MusterConfig c = MusterConfig.fromEnvironment(Map.of(
        "MUSTER_DATABASE_URL", "postgresql://u:p@h:1/d",
        "MUSTER_MIGRATIONS", "filesystem:a, classpath:b",
        "MUSTER_SCHEMAS", "tenant_*",
        "MUSTER_HTTP_PORT", "9090",
        "MUSTER_TOKEN", "t0k",
        "MUSTER_MAX_PARALLEL", "2",
        "MUSTER_CREATE_SCHEMAS", "true"));
    assertEquals("h", c.database().host());
    assertEquals(List.of("filesystem:a", "classpath:b"), c.migrations());
    assertEquals(9090, c.httpPort());
    assertEquals("t0k", c.token());
    assertEquals(2, c.maxParallel());
    assertTrue(c.createSchemas());
    assertNull(MusterConfig.fromEnvironment(Map.of("MUSTER_MIGRATIONS", "filesystem:m")).database(),
        "unset means embedded");

    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> MusterConfig.fromEnvironment(Map.of("MUSTER_HTTP_PORT", "eighty"))).getMessage().contains("MUSTER_HTTP_PORT"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> MusterConfig.fromEnvironment(Map.of("MUSTER_MAX_PARALLEL", "0"))).getMessage().contains("MUSTER_MAX_PARALLEL"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> MusterConfig.fromEnvironment(Map.of("MUSTER_CREATE_SCHEMAS", "maybe"))).getMessage().contains("MUSTER_CREATE_SCHEMAS"));
  }
}
