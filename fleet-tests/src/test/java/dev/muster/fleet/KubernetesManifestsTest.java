package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code deploy/kubernetes/} and the Helm chart {@code deploy/helm/muster}, checked without a cluster: every
 * object valid against the Kubernetes API schemas, the plain manifests equal to the chart's rendering, what
 * the issue asks of them (replicas, budget, probes, secrets, non-root, read-only root filesystems), images and
 * ports as the Dockerfiles build them, and the probe paths and init containers run against a real orchestrator.
 */
@ExtendWith(PostgresExtension.class)
class KubernetesManifestsTest {
  /** Labels only Helm's rendering carries; the plain manifests leave them out. */
  static final Set<String> CHART_ONLY_LABELS = Set.of("helm.sh/chart", "app.kubernetes.io/managed-by");
  static final String PLAIN = "deploy/kubernetes";
  static final String SAMPLE_RENDER = "the chart with deploy/helm/sample-fleet.yaml";
  static final String PRODUCTION_RENDER = "the chart with production-values.yaml";

  static Path tools;
  static Path helm;
  static Path out;
  static Map<String, String> helmEnv;
  /** Each set of objects by where it comes from; each object as parsed. */
  static final Map<String, List<Map<String, Object>>> SETS = new LinkedHashMap<>();
  static final Map<String, List<Path>> FILES = new LinkedHashMap<>();

  @TempDir
  Path dir;

  @BeforeAll
  static void render() throws Exception {
    tools = DeployTools.installed();
    helm = DeployTools.helm(tools);
    out = Files.createDirectories(Paths.root().resolve("fleet-tests/target/kubernetes"));
    Path home = out.resolve("helm-home");
    helmEnv = Map.of("HELM_CACHE_HOME", home.resolve("cache").toString(),
        "HELM_CONFIG_HOME", home.resolve("config").toString(), "HELM_DATA_HOME", home.resolve("data").toString());

    List<Path> plain = List.of(Paths.root().resolve(PLAIN + "/orchestrator.yaml"),
        Paths.root().resolve(PLAIN + "/sample-fleet.yaml"));
    FILES.put(PLAIN, plain);
    FILES.put(SAMPLE_RENDER, List.of(template("sample-fleet.yaml", "muster", "-f", "deploy/helm/sample-fleet.yaml")));
    FILES.put(PRODUCTION_RENDER, List.of(template("production.yaml", "prod",
        "-f", tools.resolve("production-values.yaml").toString())));
    for (var set : FILES.entrySet()) {
      List<Map<String, Object>> objects = new ArrayList<>();
      for (Path file : set.getValue()) objects.addAll(load(file));
      assertFalse(objects.isEmpty(), set.getKey());
      SETS.put(set.getKey(), objects);
    }
  }

  @Test
  void everyObjectIsValidAgainstTheKubernetesApiSchemasWithNoUnknownField() throws Exception {
    List<String> command = new ArrayList<>(List.of("node", "validate.mjs"));
    int objects = 0;
    for (var set : FILES.entrySet()) {
      for (Path file : set.getValue()) command.add(file.toString());
      objects += SETS.get(set.getKey()).size();
    }
    DeployTools.Result r = DeployTools.run(tools, Duration.ofMinutes(2), Map.of(), command.toArray(String[]::new));
    assertEquals(0, r.exitCode(), r.output());
    assertEquals(objects, r.output().lines().filter(l -> l.startsWith("valid ")).count(),
        "every object was validated:\n" + r.output());
  }

  /** The validator above is no rubber stamp: what an API server refuses, it refuses. */
  @Test
  void theValidatorRefusesAWrongTypeAnUnknownFieldAndAnUnknownKind() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: bad}
        spec:
          selector: {matchLabels: {a: b}}
          template:
            metadata: {labels: {a: b}}
            spec:
              containers:
                - name: c
                  image: i
                  readinesProbe: {httpGet: {path: /ready, port: 8080}}
                  env: [{name: MUSTER_HTTP_PORT, value: 8080}]
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudgets
        metadata: {name: bad}
        """);
    DeployTools.Result r = DeployTools.run(tools, Duration.ofMinutes(1), Map.of(), "node", "validate.mjs", bad.toString());
    assertEquals(1, r.exitCode(), r.output());
    assertAll(r.output(),
        () -> assertTrue(r.output().contains("env/0/value must be string")),
        () -> assertTrue(r.output().contains("/spec/template/spec/containers/0/readinesProbe is not a field of Container")),
        () -> assertTrue(r.output().contains("no such kind in the Kubernetes API: policy/v1 PodDisruptionBudgets")));
  }

  @Test
  void helmLintsTheChartAndRefusesToRenderItWithoutMigrations() throws Exception {
    DeployTools.Result lint = helm("lint", "deploy/helm/muster", "--strict", "-f", "deploy/helm/sample-fleet.yaml");
    assertEquals(0, lint.exitCode(), lint.output());
    assertTrue(lint.output().contains("1 chart(s) linted, 0 chart(s) failed"), lint.output());

    DeployTools.Result defaults = helm("template", "muster", "deploy/helm/muster");
    assertNotEquals(0, defaults.exitCode(), "no migrations configured renders nothing:\n" + defaults.output());
    assertTrue(defaults.output().contains("migrations: no migrations configured"), defaults.output());

    DeployTools.Result both = helm("template", "muster", "deploy/helm/muster", "-f", "deploy/helm/sample-fleet.yaml",
        "--set", "migrations.configMap=more");
    assertNotEquals(0, both.exitCode(), both.output());
    assertTrue(both.output().contains("not both"), both.output());
  }

  @Test
  void thePlainManifestsAreTheChartRenderedWithTheSampleFleetValues() {
    Map<String, Map<String, Object>> plain = byKindAndName(SETS.get(PLAIN));
    Map<String, Map<String, Object>> rendered = byKindAndName(SETS.get(SAMPLE_RENDER));
    assertEquals(rendered.keySet(), plain.keySet(), "the same objects");
    for (String key : plain.keySet()) {
      assertEquals(withoutChartLabels(rendered.get(key)), plain.get(key), key + ": deploy/kubernetes and the chart differ");
    }
  }

  @Test
  void theKustomizationListsEveryManifestOfTheFolder() throws IOException {
    Map<String, Object> kustomization = load(Paths.root().resolve(PLAIN + "/kustomization.yaml")).get(0);
    assertEquals("Kustomization", kustomization.get("kind"));
    Set<String> manifests;
    try (Stream<Path> files = Files.list(Paths.root().resolve(PLAIN))) {
      manifests = files.map(f -> f.getFileName().toString())
          .filter(f -> f.endsWith(".yaml") && !f.equals("kustomization.yaml")).collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(manifests, new TreeSet<>(list(kustomization.get("resources"))));
    assertEquals(manifests, FILES.get(PLAIN).stream().map(f -> f.getFileName().toString())
        .collect(Collectors.toCollection(TreeSet::new)), "this test checks every one of them");
  }

  @Test
  void theOrchestratorRunsTwoReplicasUnderABudgetWithProbesSecretsAndRequests() {
    for (String set : List.of(PLAIN, SAMPLE_RENDER, PRODUCTION_RENDER)) {
      Map<String, Object> deployment = orchestrator(set);
      Map<String, Object> spec = map(deployment.get("spec"));
      Map<String, Object> container = container(deployment, "orchestrator");
      int replicas = ((Number) spec.get("replicas")).intValue();
      Map<String, Object> pdb = only(set, "PodDisruptionBudget");
      Map<String, Map<String, Object>> env = env(container);
      assertAll(set,
          () -> assertTrue(replicas >= 2, "replicas " + replicas),
          () -> assertEquals(0, map(map(spec.get("strategy")).get("rollingUpdate")).get("maxUnavailable"),
              "a roll-out starts a new replica before it stops an old one"),
          () -> assertEquals(map(spec.get("selector")), map(map(pdb.get("spec")).get("selector")), "the budget covers them"),
          () -> assertEquals(1, map(pdb.get("spec")).get("maxUnavailable"), "one may be down, never both"),
          () -> assertTrue(((Number) podSpec(deployment).get("terminationGracePeriodSeconds")).intValue() > 30,
              "time for a run under way to finish (30 s) after SIGTERM"),
          () -> assertEquals("/ready", httpGet(container, "readinessProbe")),
          () -> assertEquals("/health", httpGet(container, "livenessProbe")),
          () -> assertEquals("/health", httpGet(container, "startupProbe")),
          () -> assertNotNull(secretRef(env.get("MUSTER_DATABASE_URL")), "the database URL from a Secret"),
          () -> assertNotNull(secretRef(env.get("MUSTER_TOKEN")), "the token from a Secret"),
          () -> assertNotNull(map(map(container.get("resources")).get("requests")).get("cpu")),
          () -> assertNotNull(map(map(container.get("resources")).get("requests")).get("memory")),
          () -> assertNotNull(map(map(container.get("resources")).get("limits")).get("memory")));
    }
    Map<String, Map<String, Object>> production = env(container(orchestrator(PRODUCTION_RENDER), "orchestrator"));
    assertEquals(Map.of("name", "prod-database", "key", "url"), secretRef(production.get("MUSTER_DATABASE_URL")));
    assertEquals(Map.of("name", "prod-muster-token", "key", "token"), secretRef(production.get("MUSTER_TOKEN")));
    assertEquals(Map.of("name", "prod-muster-read-token", "key", "token"), secretRef(production.get("MUSTER_READ_TOKEN")),
        "extraEnv reaches the container");
  }

  @Test
  void everyPodRunsAsNonRootOnReadOnlyRootFilesystemsWithoutAnApiToken() {
    for (var set : SETS.entrySet()) {
      for (Map<String, Object> deployment : kind(set.getValue(), "Deployment")) {
        String where = set.getKey() + ": " + name(deployment);
        Map<String, Object> pod = podSpec(deployment);
        Map<String, Object> security = map(pod.get("securityContext"));
        assertEquals(true, security.get("runAsNonRoot"), where);
        assertEquals(Map.of("type", "RuntimeDefault"), security.get("seccompProfile"), where);
        assertEquals(false, pod.get("automountServiceAccountToken"), where + ": Muster needs no Kubernetes API access");
        assertEquals(false, pod.get("enableServiceLinks"), where + ": no MUSTER_ORCHESTRATOR_PORT & co. in the environment");
        for (Map<String, Object> c : allContainers(deployment)) {
          String which = where + "/" + c.get("name");
          Map<String, Object> sc = map(c.get("securityContext"));
          assertEquals(true, sc.get("readOnlyRootFilesystem"), which);
          assertEquals(false, sc.get("allowPrivilegeEscalation"), which);
          assertEquals(List.of("ALL"), map(sc.get("capabilities")).get("drop"), which);
          assertNotNull(map(map(c.get("resources")).get("requests")).get("memory"), which + " requests memory");
          if (c.get("command") == null) {
            // The image's own program (a JVM, muster-wait) writes temporary files: /tmp is an emptyDir.
            assertEquals("emptyDir", volumeKind(pod, mountAt(c, "/tmp")), which + " has a writable /tmp");
          }
        }
      }
    }
  }

  @Test
  void theSampleFleetIsAppTwiceWorkerAndBeatEachHeldBackByMusterWait() {
    for (String set : List.of(PLAIN, SAMPLE_RENDER)) {
      Map<String, Object> service = kind(SETS.get(set), "Service").stream()
          .filter(s -> "orchestrator".equals(labels(s).get("app.kubernetes.io/component"))).findFirst().orElseThrow();
      String orchestratorUrl = "http://" + name(service) + ":" + map(list(map(service.get("spec")).get("ports")).get(0)).get("port");
      Map<String, Integer> replicas = new TreeMap<>();
      for (Map<String, Object> deployment : kind(SETS.get(set), "Deployment")) {
        String role = labels(deployment).get("app.kubernetes.io/component");
        if (role.equals("orchestrator")) continue;
        replicas.put(role, ((Number) map(deployment.get("spec")).get("replicas")).intValue());
        String where = set + ": " + name(deployment);
        List<Map<String, Object>> init = list(podSpec(deployment).get("initContainers"));
        assertEquals(1, init.size(), where);
        Map<String, Object> wait = init.get(0);
        Map<String, Object> main = container(deployment, role);
        assertAll(where,
            () -> assertTrue(String.valueOf(wait.get("image")).startsWith("muster-wait:"), String.valueOf(wait.get("image"))),
            () -> assertEquals(List.of("--", "true"), wait.get("args"), "waits, then ends so that the pod starts"),
            () -> assertEquals(List.of(role), main.get("args")),
            () -> assertEquals(role, value(env(wait).get("MUSTER_SERVICE"))),
            () -> assertEquals(role, value(env(main).get("MUSTER_SERVICE"))),
            () -> assertEquals(orchestratorUrl, value(env(wait).get("MUSTER_URL"))),
            () -> assertEquals(orchestratorUrl, value(env(main).get("MUSTER_URL"))),
            () -> assertEquals(env(wait).get("MUSTER_TOKEN"), env(main).get("MUSTER_TOKEN")),
            () -> assertEquals(secretRef(env(orchestratorContainer(set)).get("MUSTER_TOKEN")),
                secretRef(env(wait).get("MUSTER_TOKEN")), "the orchestrator's token"),
            () -> assertNotNull(secretRef(env(main).get("DATABASE_URL"))));
      }
      assertEquals(Map.of("app", 2, "worker", 1, "beat", 1), replicas, set);
    }
  }

  @Test
  void everyServiceSelectsPodsThatHaveItsPort() {
    for (var set : SETS.entrySet()) {
      for (Map<String, Object> service : kind(set.getValue(), "Service")) {
        Map<String, Object> selector = map(map(service.get("spec")).get("selector"));
        List<Map<String, Object>> selected = kind(set.getValue(), "Deployment").stream()
            .filter(d -> labels(map(map(d.get("spec")).get("template"))).entrySet().containsAll(selector.entrySet()))
            .toList();
        assertEquals(1, selected.size(), set.getKey() + ": " + name(service) + " selects one Deployment's pods");
        assertEquals(map(map(selected.get(0).get("spec")).get("selector")).get("matchLabels"), selector);
        for (Object port : list(map(service.get("spec")).get("ports"))) {
          Object target = map(port).get("targetPort");
          assertTrue(containers(selected.get(0)).stream().flatMap(c -> list(c.get("ports")).stream())
              .anyMatch(p -> target.equals(map(p).get("name"))), name(service) + ": targetPort " + target);
        }
      }
    }
  }

  @Test
  void imagesPortsUsersAndCommandsAgreeWithTheDockerfiles() throws IOException {
    Map<String, Dockerfile> images = Dockerfile.all();
    assertEquals(Set.of("muster-orchestrator", "muster-sample-app", "muster-wait"), images.keySet());
    String appVersion = String.valueOf(load(Paths.root().resolve("deploy/helm/muster/Chart.yaml")).get(0).get("appVersion"));
    for (var set : SETS.entrySet()) {
      for (Map<String, Object> deployment : kind(set.getValue(), "Deployment")) {
        Map<String, Object> pod = podSpec(deployment);
        for (Map<String, Object> c : allContainers(deployment)) {
          String which = set.getKey() + ": " + name(deployment) + "/" + c.get("name");
          String image = String.valueOf(c.get("image"));
          String repository = image.substring(0, image.lastIndexOf(':'));
          Dockerfile dockerfile = images.get(repository.substring(repository.lastIndexOf('/') + 1));
          assertNotNull(dockerfile, which + ": " + image + " is built by none of " + images.keySet());
          assertEquals(appVersion, image.substring(image.lastIndexOf(':') + 1), which + ": the chart's appVersion");
          assertEquals(dockerfile.uid(), map(pod.get("securityContext")).get("runAsUser"), which + ": the image's user");
          for (Object port : list(c.get("ports"))) {
            assertTrue(dockerfile.exposed().contains(map(port).get("containerPort")),
                which + ": port " + map(port).get("containerPort") + " is EXPOSEd by " + dockerfile.path());
          }
          List<String> args = list(c.get("args")).stream().map(String::valueOf).toList();
          List<String> command = list(c.get("command")).stream().map(String::valueOf).toList();
          switch (dockerfile.title()) {
            case "muster-orchestrator" -> assertEquals(List.of("serve"), args, which);
            case "muster-wait" -> assertTrue(args.indexOf("--") >= 0 && args.indexOf("--") < args.size() - 1, which);
            default -> {
              if (command.isEmpty()) {
                assertTrue(Set.of("app", "worker", "beat").containsAll(args) && args.size() == 1, which + ": " + args);
              } else {
                // The orchestrator's init container copies the migrations out of the image that carries them.
                assertEquals(4, command.size(), which + ": " + command);
                assertEquals("cp", command.get(0));
                String from = command.get(2).replaceAll("/\\.$", "");
                assertTrue(dockerfile.copiedDirectories().contains(from), which + ": " + dockerfile.path()
                    + " puts the migrations in " + from + ", copies " + dockerfile.copiedDirectories());
                assertEquals(command.get(3).replaceAll("/$", ""), mountOf(c, "migrations"), which);
              }
            }
          }
        }
      }
    }
    assertEquals("10001", images.get("muster-wait").user().split(":")[0]);
    assertTrue(images.get("muster-wait").text().contains("apk add --no-cache curl"), "muster-wait needs curl");
    assertTrue(images.get("muster-wait").text().contains("COPY scripts/muster-wait /usr/local/bin/muster-wait"));
    assertTrue(images.get("muster-wait").text().contains("ENTRYPOINT [\"/usr/local/bin/muster-wait\"]"));
  }

  @Test
  void theOrchestratorReadsItsMigrationsFromWhereThePodPutsThem() {
    for (var set : SETS.entrySet()) {
      Map<String, Object> deployment = orchestrator(set.getKey());
      Map<String, Object> container = container(deployment, "orchestrator");
      String mount = mountOf(container, "migrations");
      assertEquals("filesystem:" + mount, value(env(container).get("MUSTER_MIGRATIONS")), set.getKey());
      String source = volumeKind(podSpec(deployment), "migrations");
      List<Map<String, Object>> init = list(podSpec(deployment).get("initContainers"));
      if (set.getKey().equals(PRODUCTION_RENDER)) {
        assertEquals("configMap", source);
        assertEquals(List.of(), init, "nothing to copy");
      } else {
        assertEquals("emptyDir", source);
        assertEquals(List.of("migrations"), init.stream().map(c -> c.get("name")).toList(), "filled by an init container");
      }
    }
  }

  @Test
  void withTlsTheDatabaseCaIsMountedReadOnlyAndNamedByItsSetting() {
    Map<String, Object> deployment = orchestrator(PRODUCTION_RENDER);
    Map<String, Object> container = container(deployment, "orchestrator");
    String mount = mountOf(container, "database-ca");
    assertEquals(mount + "/ca.crt", value(env(container).get("MUSTER_DATABASE_SSLROOTCERT")));
    Map<String, Object> secret = map(list(podSpec(deployment).get("volumes")).stream().map(KubernetesManifestsTest::map)
        .filter(v -> "database-ca".equals(v.get("name"))).findFirst().orElseThrow().get("secret"));
    assertEquals("prod-database-ca", secret.get("secretName"));
    for (String set : List.of(PLAIN, SAMPLE_RENDER)) {
      assertFalse(env(orchestratorContainer(set)).containsKey("MUSTER_DATABASE_SSLROOTCERT"), set + ": no CA, no setting");
    }
  }

  @Test
  void everyMusterVariableIsOneTheDocsDefine() throws IOException {
    Set<String> used = new TreeSet<>();
    for (var set : FILES.values()) {
      for (Path file : set) used.addAll(DocumentedVariables.in(Files.readString(file)));
    }
    try (Stream<Path> chart = Files.walk(Paths.root().resolve("deploy"))) {
      for (Path file : chart.filter(Files::isRegularFile).toList()) used.addAll(DocumentedVariables.in(Files.readString(file)));
    }
    Set<String> documented = DocumentedVariables.all();
    assertTrue(used.contains("MUSTER_DATABASE_URL"), used.toString());
    assertEquals(Set.of(), used.stream().filter(v -> !documented.contains(v)).collect(Collectors.toCollection(TreeSet::new)),
        "variables docs/ does not define (it defines " + documented + ")");
  }

  @Test
  void everyValueOfTheChartIsDocumentedInItsReadme() throws IOException {
    Map<String, Object> values = load(Paths.root().resolve("deploy/helm/muster/values.yaml")).get(0);
    String readme = Files.readString(Paths.root().resolve("deploy/helm/muster/README.md"));
    List<String> keys = new ArrayList<>();
    leaves("", values, keys);
    assertTrue(keys.size() > 10, keys.toString());
    for (String key : keys) assertTrue(readme.contains("| `" + key + "` |"), "README.md documents " + key);
  }

  /**
   * The probes and init containers the manifests name, against a real orchestrator on a real PostgreSQL. Its
   * migrations are the sample's laid out as the kubelet mounts a ConfigMap (symbolic links into a hidden,
   * timestamped directory), which Flyway must read once each.
   */
  @Test
  void theProbePathsAnswerAndTheInitContainersWaitOnARealOrchestrator(TestDatabase db) throws Exception {
    Path migrations = configMapLayout(Paths.migrations(), dir.resolve("configmap"));
    try (TestOrchestrator orchestrator = TestOrchestrator.start(db, migrations)) {
      Map<String, Object> container = orchestratorContainer(PLAIN);
      for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
        assertEquals(200, getUntil200(orchestrator.url + httpGet(container, probe)), probe + " " + httpGet(container, probe));
      }
      // As in the muster-wait image: BusyBox's sh and applets, and curl, alone on the PATH.
      Path bin = DeployTools.busyboxAndCurl(dir);
      Path tmp = Files.createDirectories(dir.resolve("tmp"));
      for (Map<String, Object> deployment : kind(SETS.get(PLAIN), "Deployment")) {
        for (Map<String, Object> init : KubernetesManifestsTest.<Map<String, Object>>list(podSpec(deployment).get("initContainers"))) {
          if (!String.valueOf(init.get("image")).startsWith("muster-wait:")) continue;
          List<String> command = new ArrayList<>(List.of(bin.resolve("sh").toString(),
              Paths.root().resolve("scripts/muster-wait").toString()));
          command.addAll(list(init.get("args")).stream().map(String::valueOf).toList());
          Map<String, String> env = environment(init, orchestrator.url);
          env.put("PATH", bin.toString());
          env.put("TMPDIR", tmp.toString());
          DeployTools.Result r = DeployTools.run(dir, Duration.ofSeconds(90), env, command.toArray(String[]::new));
          assertEquals(0, r.exitCode(), name(deployment) + "'s init container:\n" + r.output());
          assertTrue(r.output().contains("schema public is ready at version"), r.output());
          try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "muster-wait leaves no temporary file");
          }
        }
      }
      long files;
      try (Stream<Path> sql = Files.list(Paths.migrations())) {
        files = sql.filter(f -> f.getFileName().toString().endsWith(".sql")).count();
      }
      assertEquals(files, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"),
          "each migration of the ConfigMap's layout ran, once");
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"));
    }
  }

  /**
   * The schema's ready path, which the app's startupProbe runs with curl: 503 before the schema is ready at the
   * version asked for, 200 once it is. (GET /api/v1/schemas/{schema}/ready arrives with the orchestrator change
   * that adds it; docs/api.md describes it.)
   */
  @Test
  void theSchemaReadyProbeFailsUntilTheSchemaIsReadyThenSucceeds(TestDatabase db) throws Exception {
    Path migrations = TestOrchestrator.migrations(dir, "V1__create_reports.sql", "CREATE TABLE reports (id bigint);");
    try (TestOrchestrator orchestrator = TestOrchestrator.start(db, migrations)) {
      Map<String, Object> app = container(only(PLAIN, "Deployment", "muster-sample-app"), "app");
      List<String> probe = list(map(map(app.get("startupProbe")).get("exec")).get("command")).stream()
          .map(String::valueOf).toList();
      String url = probe.get(probe.size() - 1);
      assertEquals("http://muster-orchestrator:8080/api/v1/schemas/public/ready", url);
      String[] local = probe.stream().map(a -> a.equals(url) ? a.replace("http://muster-orchestrator:8080", orchestrator.url) : a)
          .toArray(String[]::new);
      DeployTools.Result before = DeployTools.run(dir, Duration.ofSeconds(30), Map.of(), local);
      assertEquals(22, before.exitCode(), "curl -f: HTTP 503 before any run\n" + before.output());
      assertTrue(before.output().contains("503"), before.output());

      DeployTools.Result arrival = DeployTools.run(dir, Duration.ofSeconds(90),
          Map.of("MUSTER_URL", orchestrator.url, "MUSTER_SERVICE", "app", "MUSTER_TOKEN", TestOrchestrator.TOKEN),
          "sh", Paths.root().resolve("scripts/muster-wait").toString(), "--", "true");
      assertEquals(0, arrival.exitCode(), arrival.output());

      DeployTools.Result after = DeployTools.run(dir, Duration.ofSeconds(30), Map.of(), local);
      assertEquals(0, after.exitCode(), "200 once the schema is ready\n" + after.output());
      String higher = orchestrator.url + "/api/v1/schemas/public/ready?version=2";
      assertEquals(503, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(higher)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode(), "not ready at a version it has not reached");
    }
  }

  // ---- rendering and reading

  private static Path template(String file, String release, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("template", release, "deploy/helm/muster"));
    command.addAll(List.of(args));
    DeployTools.Result r = helm(command.toArray(String[]::new));
    assertEquals(0, r.exitCode(), "helm " + command + ":\n" + r.output());
    Path rendered = out.resolve(file);
    Files.writeString(rendered, r.output());
    return rendered;
  }

  private static DeployTools.Result helm(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(helm.toString()));
    command.addAll(List.of(args));
    return DeployTools.run(Paths.root(), Duration.ofMinutes(1), helmEnv, command.toArray(String[]::new));
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> load(Path file) throws IOException {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Object document : new Yaml().loadAll(Files.readString(file))) {
      if (document != null) objects.add((Map<String, Object>) document);
    }
    return objects;
  }

  /** The sample's migrations as a ConfigMap volume holds them: {@code V1__x.sql -> ..data/V1__x.sql}. */
  private static Path configMapLayout(Path from, Path to) throws IOException {
    Path timestamped = Files.createDirectories(to.resolve("..2026_12_01_10_00_00.000000001"));
    Files.createSymbolicLink(to.resolve("..data"), timestamped.getFileName());
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, timestamped.resolve(file.getFileName()));
        Files.createSymbolicLink(to.resolve(file.getFileName()), Path.of("..data").resolve(file.getFileName()));
      }
    }
    return to;
  }

  /** The container's environment as the kubelet would give it here: Secrets resolved to the test's token. */
  private static Map<String, String> environment(Map<String, Object> container, String orchestratorUrl) {
    Map<String, String> env = new HashMap<>();
    for (Map.Entry<String, Map<String, Object>> e : env(container).entrySet()) {
      Map<String, Object> ref = secretRef(e.getValue());
      if (ref != null) {
        assertEquals(Map.of("name", "muster-token", "key", "token"), ref, e.getKey());
        env.put(e.getKey(), TestOrchestrator.TOKEN);
      } else {
        env.put(e.getKey(), value(e.getValue()));
      }
    }
    assertEquals("http://muster-orchestrator:8080", env.get("MUSTER_URL"));
    env.put("MUSTER_URL", orchestratorUrl);
    return env;
  }

  /** GET until 200 (a replica is ready once its first notification has come back), for at most 30 s. */
  private static int getUntil200(String url) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int status;
    do {
      status = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status == 200) break;
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    return status;
  }

  // ---- navigating objects

  private static Map<String, Map<String, Object>> byKindAndName(List<Map<String, Object>> objects) {
    Map<String, Map<String, Object>> by = new TreeMap<>();
    for (Map<String, Object> o : objects) {
      assertFalse(by.containsKey(o.get("kind") + "/" + name(o)), "one " + o.get("kind") + "/" + name(o));
      by.put(o.get("kind") + "/" + name(o), o);
    }
    return by;
  }

  @SuppressWarnings("unchecked")
  private static Object withoutChartLabels(Object value) {
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> copy = new LinkedHashMap<>();
      for (var e : ((Map<String, Object>) m).entrySet()) {
        if (e.getKey().equals("labels")) {
          Map<String, Object> labels = new LinkedHashMap<>(map(e.getValue()));
          labels.keySet().removeAll(CHART_ONLY_LABELS);
          copy.put(e.getKey(), labels);
        } else {
          copy.put(e.getKey(), withoutChartLabels(e.getValue()));
        }
      }
      return copy;
    }
    if (value instanceof List<?> l) return l.stream().map(KubernetesManifestsTest::withoutChartLabels).toList();
    return value;
  }

  private static List<Map<String, Object>> kind(List<Map<String, Object>> objects, String kind) {
    return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  private static Map<String, Object> only(String set, String kind) {
    List<Map<String, Object>> found = kind(SETS.get(set), kind);
    assertEquals(1, found.size(), set + ": one " + kind);
    return found.get(0);
  }

  private static Map<String, Object> only(String set, String kind, String name) {
    return kind(SETS.get(set), kind).stream().filter(o -> name.equals(name(o))).findFirst()
        .orElseThrow(() -> new AssertionError(set + " has no " + kind + "/" + name));
  }

  private static Map<String, Object> orchestrator(String set) {
    return kind(SETS.get(set), "Deployment").stream()
        .filter(d -> "orchestrator".equals(labels(d).get("app.kubernetes.io/component"))).findFirst()
        .orElseThrow(() -> new AssertionError(set + " has no orchestrator Deployment"));
  }

  private static Map<String, Object> orchestratorContainer(String set) {
    return container(orchestrator(set), "orchestrator");
  }

  private static String name(Map<String, Object> object) {
    return String.valueOf(map(object.get("metadata")).get("name"));
  }

  private static Map<String, String> labels(Map<String, Object> object) {
    Map<String, String> labels = new TreeMap<>();
    map(map(object.get("metadata")).get("labels")).forEach((k, v) -> labels.put(k, String.valueOf(v)));
    return labels;
  }

  private static Map<String, Object> podSpec(Map<String, Object> deployment) {
    return map(map(map(deployment.get("spec")).get("template")).get("spec"));
  }

  private static List<Map<String, Object>> containers(Map<String, Object> deployment) {
    return list(podSpec(deployment).get("containers"));
  }

  private static List<Map<String, Object>> allContainers(Map<String, Object> deployment) {
    List<Map<String, Object>> all = new ArrayList<>(list(podSpec(deployment).get("initContainers")));
    all.addAll(containers(deployment));
    return all;
  }

  private static Map<String, Object> container(Map<String, Object> deployment, String name) {
    return containers(deployment).stream().filter(c -> name.equals(c.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError(name(deployment) + " has no container " + name));
  }

  /** name → the env entry. */
  private static Map<String, Map<String, Object>> env(Map<String, Object> container) {
    Map<String, Map<String, Object>> env = new LinkedHashMap<>();
    for (Map<String, Object> e : KubernetesManifestsTest.<Map<String, Object>>list(container.get("env"))) {
      if (env.put(String.valueOf(e.get("name")), e) != null) fail(container.get("name") + " sets " + e.get("name") + " twice");
    }
    return env;
  }

  private static String value(Map<String, Object> envEntry) {
    assertNotNull(envEntry, "set");
    return (String) envEntry.get("value");
  }

  private static Map<String, Object> secretRef(Map<String, Object> envEntry) {
    if (envEntry == null || envEntry.get("valueFrom") == null) return null;
    Object ref = map(envEntry.get("valueFrom")).get("secretKeyRef");
    return ref == null ? null : map(ref);
  }

  private static String httpGet(Map<String, Object> container, String probe) {
    return String.valueOf(map(map(container.get(probe)).get("httpGet")).get("path"));
  }

  /** The volume mounted at {@code path}; fails if none is. */
  private static String mountAt(Map<String, Object> container, String path) {
    return list(container.get("volumeMounts")).stream().map(KubernetesManifestsTest::map)
        .filter(m -> path.equals(m.get("mountPath"))).map(m -> String.valueOf(m.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError(container.get("name") + " mounts nothing at " + path));
  }

  /** Where the container mounts the volume {@code volume}. */
  private static String mountOf(Map<String, Object> container, String volume) {
    return list(container.get("volumeMounts")).stream().map(KubernetesManifestsTest::map)
        .filter(m -> volume.equals(m.get("name"))).map(m -> String.valueOf(m.get("mountPath"))).findFirst()
        .orElseThrow(() -> new AssertionError(container.get("name") + " does not mount " + volume));
  }

  /** What kind of volume (emptyDir, configMap, secret...) the pod's volume of that name is. */
  private static String volumeKind(Map<String, Object> pod, String volume) {
    for (Object v : list(pod.get("volumes"))) {
      if (volume.equals(map(v).get("name"))) {
        return map(v).keySet().stream().filter(k -> !k.equals("name")).findFirst().orElseThrow();
      }
    }
    throw new AssertionError("no volume " + volume);
  }

  @SuppressWarnings("unchecked")
  private static void leaves(String prefix, Map<String, Object> values, List<String> keys) {
    for (var e : values.entrySet()) {
      String key = prefix + e.getKey();
      if (e.getValue() instanceof Map<?, ?> m && !m.isEmpty()) leaves(key + ".", (Map<String, Object>) m, keys);
      else keys.add(key);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    return value == null ? Map.of() : (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  static <T> List<T> list(Object value) {
    return value == null ? List.of() : (List<T>) value;
  }

  /** The final stage of a Dockerfile of the repository, as far as these checks read it. */
  record Dockerfile(Path path, String text, String title, String user, Set<Integer> exposed, Set<String> copiedDirectories) {
    int uid() {
      return Integer.parseInt(user.split(":")[0]);
    }

    /** Every Dockerfile of the repository, by its image's title label. */
    static Map<String, Dockerfile> all() throws IOException {
      Map<String, Dockerfile> all = new TreeMap<>();
      try (Stream<Path> files = Files.walk(Paths.root(), 3)) {
        for (Path file : files.filter(f -> f.getFileName().toString().equals("Dockerfile"))
            .filter(f -> !f.toString().contains("node_modules") && !f.toString().contains("/target/")).toList()) {
          Dockerfile d = read(file);
          assertNotNull(d.title, file + " labels its image with org.opencontainers.image.title");
          assertFalse(all.containsKey(d.title), "one Dockerfile for " + d.title);
          all.put(d.title, d);
        }
      }
      return all;
    }

    static Dockerfile read(Path file) throws IOException {
      String text = Files.readString(file);
      String joined = text.replaceAll("\\\\\\n\\s*", " ");
      List<String> lines = joined.lines().toList();
      List<String> stage = lines.subList(lines.stream().filter(l -> l.startsWith("FROM ")).reduce((a, b) -> b)
          .map(lines::lastIndexOf).orElseThrow(), lines.size());
      String title = null;
      String user = null;
      Set<Integer> exposed = new TreeSet<>();
      Set<String> copied = new TreeSet<>();
      for (String line : stage) {
        var label = java.util.regex.Pattern.compile("org\\.opencontainers\\.image\\.title=\"([^\"]+)\"").matcher(line);
        if (line.startsWith("LABEL ") && label.find()) title = label.group(1);
        if (line.startsWith("USER ")) user = line.substring(5).trim();
        if (line.startsWith("EXPOSE ")) {
          for (String p : line.substring(7).trim().split("\\s+")) exposed.add(Integer.parseInt(p.replace("/tcp", "")));
        }
        if (line.startsWith("COPY ") && !line.contains("--from=")) {
          String[] parts = line.substring(5).trim().split("\\s+");
          if (parts.length == 2 && Files.isDirectory(Paths.root().resolve(parts[0]))) copied.add(parts[1]);
        }
      }
      assertNotNull(user, file + " sets USER");
      assertTrue(user.matches("[1-9][0-9]*(:[0-9]+)?"), file + ": a numeric non-root USER, so runAsNonRoot can check it: " + user);
      return new Dockerfile(Paths.root().relativize(file), text, title, user, exposed, copied);
    }
  }
}
