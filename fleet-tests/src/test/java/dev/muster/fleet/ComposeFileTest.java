package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.sample.SampleService;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml checked without Docker (there is no engine here): what it names exists, and it agrees
 * with the project's documentation and with what the images and the sample services read.
 */
class ComposeFileTest {
  static final Set<String> FLEET = Set.of("postgres", "orchestrator", "app", "worker", "beat");
  static final Set<String> ROLES = Set.of("app", "worker", "beat");
  static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)");

  static Map<String, Object> compose;
  static Map<String, Map<String, Object>> services;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws IOException {
    try (Reader r = Files.newBufferedReader(Paths.root().resolve("docker-compose.yml"))) {
      compose = new Yaml().load(r);
    }
    services = (Map<String, Map<String, Object>>) compose.get("services");
    assertNotNull(services, "docker-compose.yml has services");
  }

  @Test
  void theFleetIsPostgresTheOrchestratorAndTheThreeRolesWithNoMigrationJob() {
    assertEquals(FLEET, services.keySet());
    for (var s : services.entrySet()) {
      Map<String, Object> dependsOn = map(s.getValue().get("depends_on"));
      for (Object condition : dependsOn.values()) {
        assertFalse(String.valueOf(condition).contains("service_completed_successfully"),
            s.getKey() + " waits for no one-shot job: Muster is the gate");
      }
    }
  }

  @Test
  void postgresIs17WithAHealthCheckThatTheOrchestratorWaitsFor() {
    Map<String, Object> postgres = services.get("postgres");
    assertTrue(String.valueOf(postgres.get("image")).startsWith("postgres:17"), String.valueOf(postgres.get("image")));
    Map<String, Object> health = map(postgres.get("healthcheck"));
    assertTrue(String.valueOf(health.get("test")).contains("pg_isready"), String.valueOf(health.get("test")));
    assertEquals(Map.of("condition", "service_healthy"), map(services.get("orchestrator").get("depends_on")).get("postgres"));
  }

  @Test
  void theServicesStartTogetherWithTheOrchestratorNotAfterIt() {
    for (String role : ROLES) {
      assertEquals(Map.of(), map(services.get(role).get("depends_on")),
          role + " depends on nothing: it starts at once and waits for its schema through Muster");
    }
  }

  @Test
  void appRunsTwoReplicasAndBeatOne() {
    assertEquals(2, replicas("app"));
    assertTrue(replicas("worker") >= 1);
    assertEquals(1, replicas("beat"), "beat schedules: one is enough (two would be harmless, see Beat)");
  }

  @Test
  void eachRoleRunsTheSampleAppWithItsOwnName() {
    for (String role : ROLES) {
      Map<String, Object> s = services.get(role);
      assertEquals(List.of(role), s.get("command"), role + "'s command");
      assertEquals(role, environment(role).get("MUSTER_SERVICE"));
      assertEquals("sample-app/Dockerfile", map(s.get("build")).get("dockerfile"));
    }
    assertEquals("orchestrator/Dockerfile", map(services.get("orchestrator").get("build")).get("dockerfile"));
  }

  @Test
  void everyBuildContextAndDockerfileExistsAndBuildsWithMavenInAStageOfItsOwn() throws IOException {
    for (var s : services.entrySet()) {
      if (s.getValue().get("build") == null) continue;
      Map<String, Object> build = map(s.getValue().get("build"));
      Path context = Paths.root().resolve(String.valueOf(build.getOrDefault("context", "."))).normalize();
      assertTrue(Files.isDirectory(context), s.getKey() + ": context " + context);
      Path dockerfile = context.resolve(String.valueOf(build.getOrDefault("dockerfile", "Dockerfile")));
      assertTrue(Files.isRegularFile(dockerfile), s.getKey() + ": " + dockerfile);
      List<String> lines = Files.readAllLines(dockerfile);
      List<String> from = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
      assertTrue(from.size() >= 2, dockerfile + " is multi-stage: " + from);
      assertTrue(lines.stream().anyMatch(l -> l.contains("./mvnw") && l.contains("package")),
          dockerfile + " builds with the Maven wrapper");
      assertTrue(Files.isExecutable(context.resolve("mvnw")), "the wrapper is in the context");
      for (String copy : lines.stream().filter(l -> l.startsWith("COPY ") && !l.contains("--from=")).toList()) {
        String[] parts = copy.substring(5).trim().split("\\s+");
        for (int i = 0; i < parts.length - 1; i++) {
          assertTrue(Files.exists(context.resolve(parts[i])), dockerfile + ": " + copy + ": " + parts[i] + " exists");
        }
      }
    }
  }

  @Test
  void theImagesCopyTheJarsTheBuildMakes() throws IOException {
    String orchestrator = Files.readString(Paths.root().resolve("orchestrator/Dockerfile"));
    String sample = Files.readString(Paths.root().resolve("sample-app/Dockerfile"));
    assertTrue(orchestrator.contains("/src/orchestrator/target/muster-orchestrator.jar"), orchestrator);
    assertTrue(sample.contains("/src/sample-app/target/muster-sample-app.jar"), sample);
  }

  @Test
  void theOrchestratorMigratesTheSampleAppsMigrationsMountedFromTheirOnePlace() {
    assertEquals(List.of("./sample-app/src/main/resources/db/migration:/migrations:ro"),
        services.get("orchestrator").get("volumes"));
    assertEquals("filesystem:/migrations", environment("orchestrator").get("MUSTER_MIGRATIONS"),
        "set here, since the image names no migrations");
    assertTrue(Files.isDirectory(Paths.migrations()));
  }

  @Test
  void theOrchestratorsImageNamesNoMigrationsOfItsOwn() throws IOException {
    List<String> lines = Files.readAllLines(Paths.root().resolve("orchestrator/Dockerfile"));
    for (String line : lines) {
      assertFalse(line.contains("MUSTER_MIGRATIONS") && !line.startsWith("#"),
          "a default would run whatever it names against a database whose migrations were not mounted: " + line);
      assertFalse(line.startsWith("COPY") && line.contains("migration"), "no migrations baked in: " + line);
    }
  }

  @Test
  void theOrchestratorRunsOnAReadOnlyRootFilesystemWithATemporaryDirectory() {
    Map<String, Object> orchestrator = services.get("orchestrator");
    assertEquals(true, orchestrator.get("read_only"));
    assertEquals(List.of("/tmp"), orchestrator.get("tmpfs"));
  }

  @Test
  void everyMusterVariableIsOneTheDocsDefine() throws IOException {
    Set<String> documented = DocumentedVariables.all();
    Set<String> used = new TreeSet<>();
    for (String name : services.keySet()) {
      for (var e : environment(name).entrySet()) {
        if (e.getKey().startsWith("MUSTER_")) used.add(e.getKey());
        Matcher m = INTERPOLATION.matcher(String.valueOf(e.getValue()));
        while (m.find()) used.add(m.group(1));
      }
    }
    // Names anywhere in the file's text too (comments, commands), so no stale variable hides there.
    used.addAll(DocumentedVariables.in(Files.readString(Paths.root().resolve("docker-compose.yml"))));
    assertFalse(used.isEmpty());
    Set<String> unknown = used.stream().filter(v -> !documented.contains(v)).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(Set.of(), unknown, "variables docs/ does not define (it defines " + documented + ")");
  }

  @Test
  void theSampleServicesGetOnlyVariablesTheSdkOrTheSampleAppReads() {
    for (String role : ROLES) {
      for (String key : environment(role).keySet()) {
        assertTrue(key.startsWith("MUSTER_") || SampleService.VARIABLES.contains(key),
            role + ": " + key + " is read by nobody (the sample app reads " + SampleService.VARIABLES + ")");
      }
      assertTrue(environment(role).containsKey("DATABASE_URL"), role + " needs DATABASE_URL");
    }
  }

  @Test
  void portsAndUrlsAgree() {
    Map<String, Object> orchestrator = environment("orchestrator");
    String port = String.valueOf(orchestrator.getOrDefault("MUSTER_HTTP_PORT", "8080"));
    assertTrue(containerPorts("orchestrator").contains(port), "the orchestrator publishes its port " + port);
    for (String role : ROLES) {
      assertEquals("http://orchestrator:" + port, environment(role).get("MUSTER_URL"), role + " finds the orchestrator");
      assertEquals(orchestrator.get("MUSTER_TOKEN"), environment(role).get("MUSTER_TOKEN"), role + " has its token");
    }
    String appPort = String.valueOf(environment("app").get("APP_PORT"));
    assertEquals(List.of(appPort), containerPorts("app"), "app publishes its APP_PORT (to any host port: 2 replicas)");
    for (String published : ports("app")) {
      assertFalse(published.contains(":"), "two replicas cannot share one host port: " + published);
    }
  }

  @Test
  void everyoneUsesThePostgresServiceWithItsCredentials() {
    Map<String, Object> pg = environment("postgres");
    List<String> urls = new ArrayList<>();
    urls.add(String.valueOf(environment("orchestrator").get("MUSTER_DATABASE_URL")));
    for (String role : ROLES) urls.add(String.valueOf(environment(role).get("DATABASE_URL")));
    for (String url : urls) {
      URI uri = URI.create(url);
      assertAll(url,
          () -> assertEquals("postgresql", uri.getScheme()),
          () -> assertEquals("postgres", uri.getHost()),
          () -> assertEquals(5432, uri.getPort()),
          () -> assertEquals(pg.get("POSTGRES_USER") + ":" + pg.get("POSTGRES_PASSWORD"), uri.getUserInfo()),
          () -> assertEquals("/" + pg.get("POSTGRES_DB"), uri.getPath()));
    }
  }

  private static int replicas(String service) {
    Object replicas = map(services.get(service).get("deploy")).get("replicas");
    return replicas == null ? 1 : ((Number) replicas).intValue();
  }

  private static Map<String, Object> environment(String service) {
    return map(services.get(service).get("environment"));
  }

  private static List<String> ports(String service) {
    Object ports = services.get(service).get("ports");
    if (ports == null) return List.of();
    return ((List<?>) ports).stream().map(String::valueOf).collect(Collectors.toList());
  }

  /** The container side of each published port: "8080:8080" and "8081" give 8080 and 8081. */
  private static List<String> containerPorts(String service) {
    return ports(service).stream().map(p -> p.substring(p.lastIndexOf(':') + 1)).collect(Collectors.toList());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value == null ? Map.of() : (Map<String, Object>) value;
  }
}
