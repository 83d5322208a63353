package dev.muster.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigurationTest {
  private static final Map<String, String> ENVIRONMENT = Map.of(
      "MUSTER_URL", "http://muster-a:8080/, http://muster-b:8080",
      "MUSTER_SERVICE", "worker",
      "MUSTER_INSTANCE", "worker-2",
      "MUSTER_SCHEMA", "billing",
      "MUSTER_REQUIRED_VERSION", "1.2",
      "MUSTER_TIMEOUT", "90",
      "MUSTER_TOKEN", "s3cret",
      "MUSTER_DEPLOY", "release-42",
      "MUSTER_DATABASE_URL", "postgresql://ignored");

  @Test
  void environmentSetsEverySetting() {
    MusterClient client = MusterClient.builder().environment(ENVIRONMENT).build();

    assertEquals(List.of(URI.create("http://muster-a:8080"), URI.create("http://muster-b:8080")), client.urls());
    assertEquals("worker", client.service());
    assertEquals("worker-2", client.instance());
    assertEquals("billing", client.schema());
    assertEquals("1.2", client.requiredVersion());
    assertEquals(Duration.ofSeconds(90), client.timeout());
    assertEquals("s3cret", client.token());
    assertEquals("release-42", client.deploy());
  }

  @Test
  void theTokenCanComeFromAFile(@TempDir Path dir) throws Exception {
    Path secret = Files.writeString(dir.resolve("token"), "s3cret-from-a-file\n");

    MusterClient client = MusterClient.builder()
        .environment(Map.of("MUSTER_SERVICE", "app", "MUSTER_TOKEN_FILE", secret.toString())).build();

    assertEquals("s3cret-from-a-file", client.token());
    assertEquals("MUSTER_TOKEN and MUSTER_TOKEN_FILE are both set: set one", assertThrows(IllegalArgumentException.class,
        () -> MusterClient.builder().environment(Map.of("MUSTER_TOKEN", "a", "MUSTER_TOKEN_FILE", secret.toString())))
        .getMessage());
    var unreadable = assertThrows(UncheckedIOException.class, () -> MusterClient.builder()
        .environment(Map.of("MUSTER_TOKEN_FILE", dir.resolve("missing").toString())));
    assertTrue(unreadable.getMessage().startsWith("MUSTER_TOKEN_FILE: cannot read "), unreadable.getMessage());
  }

  @Test
  void theDefaultInstanceFitsTheOrchestratorsRule() {
    assertEquals("web-5d9f-1234", MusterClient.defaultInstance("web-5d9f", 1234));
    assertEquals("i-web-1234", MusterClient.defaultInstance("-web", 1234));
    assertEquals("i_x-99", MusterClient.defaultInstance("_x", 99));
    assertEquals("h-st-7", MusterClient.defaultInstance("h st", 7));
    assertEquals("h-st-7", MusterClient.defaultInstance("h\uD83D\uDE00st", 7), "one '-' for a character beyond the BMP");
    String longest = MusterClient.defaultInstance("h".repeat(300), 4_194_304);
    assertEquals(128, longest.length());
    assertTrue(longest.endsWith("-4194304"), longest);
    MusterClient.builder().instance(longest); // accepted as the orchestrator accepts it
  }

  @Test
  void theDefaultInstanceIsThisHostAndThisProcess() throws Exception {
    String instance = MusterClient.builder().service("app").build().instance();

    long pid = ProcessHandle.current().pid();
    assertTrue(instance.endsWith("-" + pid), instance);
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName(); // what the kernel's name resolves to: the same name
      } catch (UnknownHostException unresolvable) {
        return; // the SDK still has the kernel's name; nothing here to compare it with
      }
    }
    assertEquals(MusterClient.defaultInstance(host, pid), instance);
  }

  @Test
  void settersAfterEnvironmentWin() {
    MusterClient client = MusterClient.builder().environment(ENVIRONMENT).schema("public").build();

    assertEquals("public", client.schema());
    assertEquals("worker", client.service());
  }

  @Test
  void blankVariablesAreUnset() {
    MusterClient client = MusterClient.builder()
        .environment(Map.of("MUSTER_SERVICE", "app", "MUSTER_TOKEN", " ", "MUSTER_REQUIRED_VERSION", ""))
        .build();

    assertNull(client.token());
    assertNull(client.requiredVersion());
  }

  @Test
  void defaults() {
    MusterClient client = MusterClient.builder().service("app").build();

    assertEquals(List.of(URI.create("http://localhost:8080")), client.urls());
    assertEquals("public", client.schema());
    assertNull(client.requiredVersion());
    assertEquals(Duration.ofSeconds(600), client.timeout());
    assertEquals(Duration.ofSeconds(30), client.idleTimeout());
    assertTrue(client.instance().endsWith("-" + ProcessHandle.current().pid()), client.instance());
  }

  @Test
  void invalidVariableIsNamedInTheMessage() {
    assertEquals("MUSTER_TIMEOUT: timeout must be whole seconds, was 'ten'", environmentFailure("MUSTER_TIMEOUT", "ten"));
    assertEquals("MUSTER_TIMEOUT: timeout must be at least 1 s, was PT0S", environmentFailure("MUSTER_TIMEOUT", "0"));
    assertEquals("MUSTER_SCHEMA: schema name must match [a-z_][a-z0-9_]* (lower-case letters, digits and underscores),"
        + " was 'Billing'", environmentFailure("MUSTER_SCHEMA", "Billing"));
    assertTrue(environmentFailure("MUSTER_REQUIRED_VERSION", "_4").startsWith(
        "MUSTER_REQUIRED_VERSION: requiredVersion must be a Flyway version"));
    assertTrue(environmentFailure("MUSTER_DEPLOY", "-x").startsWith("MUSTER_DEPLOY: deploy must be 1-128 characters"));
    assertEquals("MUSTER_URL: url must be an absolute http:// or https:// URL without query or fragment,"
        + " was 'muster:8080'", environmentFailure("MUSTER_URL", "muster:8080"));
    assertEquals("MUSTER_SERVICE: service must be 1-63 characters of letters, digits, '_', '.', '-', starting with a"
        + " letter or digit, was 'my app'", environmentFailure("MUSTER_SERVICE", "my app"));
  }

  @Test
  void missingServiceIsAnIllegalState() {
    var failure = assertThrows(IllegalStateException.class, () -> MusterClient.builder().environment(Map.of()).build());

    assertEquals("service is required (set MUSTER_SERVICE or Builder.service)", failure.getMessage());
  }

  @Test
  void settersCheckTheirBoundsAtOnce() {
    MusterClient.Builder builder = MusterClient.builder();

    assertEquals("timeout must be at least 1 s, was PT0S",
        assertThrows(IllegalArgumentException.class, () -> builder.timeout(Duration.ZERO)).getMessage());
    assertEquals("timeout must be at most 24 h, was PT25H",
        assertThrows(IllegalArgumentException.class, () -> builder.timeout(Duration.ofHours(25))).getMessage());
    assertEquals("idleTimeout must be at least 100 ms, was PT0.05S",
        assertThrows(IllegalArgumentException.class, () -> builder.idleTimeout(Duration.ofMillis(50))).getMessage());
    assertThrows(IllegalArgumentException.class, () -> builder.service("a".repeat(64)));
    assertThrows(IllegalArgumentException.class, () -> builder.service(""));
    assertThrows(IllegalArgumentException.class, () -> builder.schema("a".repeat(64)));
    assertThrows(IllegalArgumentException.class, () -> builder.schema("1st"));
    assertThrows(IllegalArgumentException.class, () -> builder.instance("app 1"));
    assertThrows(IllegalArgumentException.class, () -> builder.url("ftp://muster:21"));
    assertThrows(IllegalArgumentException.class, () -> builder.url("http://muster:8080/?x=1"));
    assertThrows(IllegalArgumentException.class, () -> builder.url(" , "));
    assertThrows(NullPointerException.class, () -> builder.service(null));
    builder.service("a".repeat(63)).schema("_" + "a".repeat(62)).requiredVersion("2_1_0");
  }

  @Test
  void invalidTokenIsRejectedWithoutRevealingIt() {
    var failure = assertThrows(IllegalArgumentException.class, () -> MusterClient.builder().token("s3cret value"));

    assertFalse(failure.getMessage().contains("s3cret"), failure.getMessage());
  }

  @Test
  void newBuilderCopiesEverySetting() {
    MusterClient original = MusterClient.builder().environment(ENVIRONMENT).idleTimeout(Duration.ofSeconds(5)).build();

    MusterClient copy = original.newBuilder().build();
    MusterClient changed = original.newBuilder().schema("public").build();

    assertEquals(original.toString(), copy.toString());
    assertEquals(original.token(), copy.token());
    assertEquals("public", changed.schema());
    assertEquals(original.instance(), changed.instance());
    assertEquals(original.deploy(), changed.deploy());
  }

  @Test
  void toStringHidesTheToken() {
    MusterClient client = MusterClient.builder().environment(ENVIRONMENT).build();

    assertFalse(client.toString().contains("s3cret"), client.toString());
  }

  private static String environmentFailure(String variable, String value) {
    return assertThrows(IllegalArgumentException.class,
        () -> MusterClient.builder().environment(Map.of(variable, value))).getMessage();
  }
}
