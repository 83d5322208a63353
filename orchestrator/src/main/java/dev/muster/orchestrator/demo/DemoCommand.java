package dev.muster.orchestrator.demo;

import dev.muster.orchestrator.Orchestrator;
import dev.muster.orchestrator.cli.ExitCodes;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.db.EmbeddedDatabase;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code muster-orchestrator demo}: the whole fleet on one machine. A fresh embedded PostgreSQL, an
 * orchestrator in this process, and the sample services {@code app} ×2, {@code worker} ×2 and {@code beat}
 * ×1 as separate OS processes started at the same instant. The migrations are the ones inside the sample
 * app's jar, where the services that need them ship them. Ctrl-C or SIGTERM stops the services, then the
 * orchestrator, then PostgreSQL, and removes the demo's data.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "The whole fleet on one machine: embedded PostgreSQL, the orchestrator, and the sample services "
            + "app x2, worker x2, beat x1 as separate processes started at the same instant.",
        "Ctrl-C stops everything. Nothing is kept: every run starts from an empty database."})
public final class DemoCommand implements Callable<Integer> {
  static final String SAMPLE_APP_JAR = "muster-sample-app.jar";
  static final String MIGRATIONS_IN_JAR = "db/migration/";
  static final Duration STOP_GRACE = Duration.ofSeconds(10);

  @Option(names = "--exit-when-ready",
      description = "Exit 0 once every service has started (non-zero if one failed), stopping everything: for scripts.")
  boolean exitWhenReady;

  @Option(names = "--sample-app-jar", paramLabel = "PATH",
      description = "The sample services' jar (default: sample-app/target/" + SAMPLE_APP_JAR
          + " under the working directory, or next to this jar).")
  Path sampleAppJar;

  @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8080",
      description = "The orchestrator's HTTP port and dashboard; 0 for any free port (default ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--app-port", paramLabel = "PORT", defaultValue = "8081",
      description = "app-1's HTTP port; app-2 takes the next one; 0 for any free ports (default ${DEFAULT-VALUE}).")
  int appPort;

  @Option(names = "--beat-interval", paramLabel = "SECONDS", defaultValue = "5",
      description = "How often beat enqueues its periodic job (default ${DEFAULT-VALUE}).")
  int beatInterval;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120",
      description = "How long the services wait for their schema (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  private final Object lock = new Object();
  private boolean stopped;
  private volatile boolean stopping;
  private volatile boolean startingDatabase;
  private volatile int exitSignal;
  private DemoConsole console;
  private Path workDir;
  private EmbeddedDatabase database;
  private Vertx vertx;
  private Orchestrator orchestrator;
  private Fleet fleet;
  private EventPrinter events;

  @Override
  public Integer call() throws Exception {
    if (httpPort < 0 || httpPort > 65535 || appPort < 0 || appPort > 65534) {
      throw new IllegalArgumentException("ports must be between 0 and 65535");
    }
    if (beatInterval < 1 || timeoutSeconds < 1) {
      throw new IllegalArgumentException("--beat-interval and --timeout must be at least 1 second");
    }
    Path jar = findSampleAppJar();
    List<Fleet.Spec> specs = specs();
    List<String> names = new ArrayList<>(specs.stream().map(Fleet.Spec::name).collect(Collectors.toList()));
    names.add(DemoConsole.ORCHESTRATOR);
    console = new DemoConsole(System.out, names);
    console.prefixOrchestratorLogs();

    // Ctrl-C and SIGTERM: stop in order (services, orchestrator, PostgreSQL), then exit as the JVM would
    // have. The shutdown hook covers the other ways a JVM ends (SIGHUP, System.exit elsewhere).
    CountDownLatch interrupted = new CountDownLatch(1);
    Signals.handle(signal -> {
      if (stopping) {
        console.say("Still stopping...");
        return;
      }
      stopping = true;
      console.say("");
      if (startingDatabase) {
        // Exiting now would leave a PostgreSQL behind that is still starting: the main thread stops once it is up.
        console.say("Stopping as soon as PostgreSQL has started");
        exitSignal = signal;
        return;
      }
      stopAll();
      System.exit(128 + signal);
    });
    Thread hook = new Thread(() -> {
      interrupted.countDown();
      stopAll();
    }, "muster-demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);

    long begin = System.nanoTime();
    try {
      workDir = Files.createTempDirectory("muster-demo-");
      Path migrations = extractMigrations(jar, workDir.resolve("migrations"));
      warmUp();
      console.say("Starting PostgreSQL (data in " + workDir.resolve("postgres") + ")");
      startingDatabase = true;
      try {
        database = EmbeddedDatabase.start(workDir.resolve("postgres"), true);
      } finally {
        startingDatabase = false;
      }
      if (stopping) return 128 + exitSignal; // interrupted while PostgreSQL started: finally stops it
      byte[] secret = new byte[16];
      new SecureRandom().nextBytes(secret);
      String token = HexFormat.of().formatHex(secret); // the services have it; nobody else can arrive
      MusterConfig config = MusterConfig.defaults().toBuilder()
          .database(database.url())
          .migrations(List.of("filesystem:" + migrations.toAbsolutePath()))
          .schemas(SchemaNames.parse("public"))
          .httpPort(httpPort)
          .token(token)
          .replicaId("demo")
          .dataDirectory(workDir)
          .build();
      vertx = Orchestrator.vertx();
      try {
        orchestrator = Orchestrator.start(vertx, config, true).await();
      } catch (Exception e) {
        console.say("The orchestrator could not start on port " + httpPort + ": " + e.getMessage()
            + (httpPort != 0 ? " (is the port in use? --http-port 0 picks a free one)" : ""));
        return ExitCodes.USAGE;
      }
      String dashboard = "http://localhost:" + orchestrator.port() + "/";
      console.say("PostgreSQL at " + database.url().uri() + "; orchestrator at " + dashboard + " ("
          + seconds(begin) + " s)");
      console.say("Dashboard: " + dashboard);
      events = new EventPrinter(orchestrator, console, specs.size());
      events.start();

      Map<String, String> common = new LinkedHashMap<>();
      common.put("MUSTER_URL", "http://127.0.0.1:" + orchestrator.port());
      common.put("MUSTER_TOKEN", token);
      common.put("MUSTER_TIMEOUT", String.valueOf(timeoutSeconds));
      common.put("DATABASE_URL", database.url().uri());
      common.put("BEAT_INTERVAL_SECONDS", String.valueOf(beatInterval));
      common.put("SAMPLE_EXIT_WITH_PID", String.valueOf(ProcessHandle.current().pid()));
      synchronized (lock) {
        if (stopped) return 130;
        fleet = Fleet.start(javaBinary(), jar, specs, common, console);
      }
      console.say("Started " + specs.size() + " services within " + fleet.startSpread().toMillis() + " ms: "
          + String.join(", ", names.subList(0, specs.size())));

      int code = awaitStarted(begin, dashboard);
      if (exitWhenReady) return code;
      if (code != ExitCodes.OK) console.say("The other services keep running. Press Ctrl-C to stop.");
      interrupted.await(); // until Ctrl-C or SIGTERM; the hook stops everything
      return ExitCodes.OK;
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException | IOException e) {
      console.say("The demo failed: " + e.getMessage());
      return 1;
    } finally {
      stopAllUnlessHooked(hook);
    }
  }

  /** 0 once every service has started; otherwise the failed service's exit code, or 4 after the timeout. */
  private int awaitStarted(long begin, String dashboard) throws InterruptedException {
    try {
      fleet.allStarted().get(timeoutSeconds + 30L, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Fleet.ExitedEarly early) {
        console.say(early.getMessage() + ". The dashboard at " + dashboard + " and the lines above say why.");
        int code = early.exitCode;
        return code >= 2 && code <= 5 ? code : 1;
      }
      console.say("The demo failed: " + e.getCause());
      return 1;
    } catch (TimeoutException e) {
      String waiting = fleet.members().stream().filter(m -> !m.started.isDone()).map(Fleet.Member::name)
          .collect(Collectors.joining(", "));
      console.say("Not started after " + (timeoutSeconds + 30) + " s: " + waiting);
      return ExitCodes.TIMED_OUT;
    }
    console.say("All " + fleet.members().size() + " services started, " + seconds(begin)
        + " s after the demo began.");
    console.say("  Dashboard:   " + dashboard);
    for (Fleet.Member m : fleet.members()) {
      if (m.url != null) console.say("  " + m.name() + ":       " + m.url + "accounts");
    }
    String app = fleet.members().stream().filter(m -> m.url != null).map(m -> m.url).findFirst().orElse(null);
    if (app != null) {
      console.say("  Try:         curl -X POST -H 'Content-Type: application/json' -d '{\"email\":\"ada@example.com\"}' "
          + app + "accounts");
      console.say("               curl " + app + "jobs");
    }
    if (!exitWhenReady) console.say("Press Ctrl-C to stop.");
    return ExitCodes.OK;
  }

  private void stopAllUnlessHooked(Thread hook) {
    // On Ctrl-C or SIGTERM the shutdown hook stops everything; on any other way out, this thread does.
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      return; // the hook is running
    }
    stopAll();
  }

  /** Services first (they hold connections to both), then the orchestrator, then PostgreSQL. Idempotent. */
  private void stopAll() {
    synchronized (lock) {
      if (stopped) return;
      stopped = true;
      if (fleet != null) {
        console.say("Stopping the services");
        fleet.stop(STOP_GRACE);
      }
      if (events != null) events.close();
      if (orchestrator != null) {
        try {
          orchestrator.stop().await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          console.say("The orchestrator did not stop cleanly: " + e.getMessage());
        }
      }
      if (vertx != null) {
        try {
          vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          // threads of a closing Vert.x; the process ends anyway
        }
      }
      if (database != null) {
        try {
          database.close();
        } catch (RuntimeException e) {
          console.say("PostgreSQL did not stop cleanly: " + e.getMessage());
        }
      }
      if (workDir != null) deleteTree(workDir);
      if (fleet != null || database != null) console.say("Stopped: services, orchestrator and PostgreSQL.");
    }
  }

  private List<Fleet.Spec> specs() {
    List<Fleet.Spec> specs = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      specs.add(new Fleet.Spec("app-" + i, "app", Map.of("MUSTER_SERVICE", "app", "MUSTER_INSTANCE", "app-" + i,
          "APP_PORT", String.valueOf(appPort == 0 ? 0 : appPort + i - 1))));
    }
    for (int i = 1; i <= 2; i++) {
      specs.add(new Fleet.Spec("worker-" + i, "worker",
          Map.of("MUSTER_SERVICE", "worker", "MUSTER_INSTANCE", "worker-" + i)));
    }
    specs.add(new Fleet.Spec("beat-1", "beat", Map.of("MUSTER_SERVICE", "beat", "MUSTER_INSTANCE", "beat-1")));
    return specs;
  }

  /** The option, then the build's place under the working directory, then next to this jar. */
  private Path findSampleAppJar() {
    if (sampleAppJar != null) {
      if (!Files.isRegularFile(sampleAppJar)) {
        throw new IllegalArgumentException("--sample-app-jar " + sampleAppJar + " is not a file");
      }
      return sampleAppJar;
    }
    List<Path> candidates = new ArrayList<>();
    candidates.add(Path.of("sample-app", "target", SAMPLE_APP_JAR));
    Path here = ownJarDirectory();
    if (here != null) {
      candidates.add(here.resolve(SAMPLE_APP_JAR));
      // orchestrator/target/muster-orchestrator.jar in a checkout: the sample app is built beside it
      if (here.getParent() != null && here.getParent().getParent() != null) {
        candidates.add(here.getParent().getParent().resolve("sample-app").resolve("target").resolve(SAMPLE_APP_JAR));
      }
    }
    for (Path c : candidates) {
      if (Files.isRegularFile(c)) return c.toAbsolutePath().normalize();
    }
    throw new IllegalArgumentException("cannot find " + SAMPLE_APP_JAR + " (looked at "
        + candidates.stream().map(p -> p.toAbsolutePath().normalize().toString()).collect(Collectors.joining(", "))
        + "): build it with ./mvnw -q package -DskipTests, or pass --sample-app-jar PATH");
  }

  private static Path ownJarDirectory() {
    try {
      Path location = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(location) ? location.getParent() : null;
    } catch (URISyntaxException | RuntimeException e) {
      return null;
    }
  }

  /** The services' migrations ship in their jar; Flyway reads them from a directory. */
  static Path extractMigrations(Path jar, Path into) throws IOException {
    Files.createDirectories(into);
    int count = 0;
    try (JarFile file = new JarFile(jar.toFile())) {
      for (JarEntry e : (Iterable<JarEntry>) file.stream()::iterator) {
        String name = e.getName();
        if (e.isDirectory() || !name.startsWith(MIGRATIONS_IN_JAR) || name.length() == MIGRATIONS_IN_JAR.length()) {
          continue;
        }
        Path target = into.resolve(name.substring(MIGRATIONS_IN_JAR.length())).normalize();
        if (!target.startsWith(into)) continue; // never outside the directory
        Files.createDirectories(target.getParent());
        try (InputStream in = file.getInputStream(e)) {
          Files.copy(in, target);
        }
        count++;
      }
    }
    if (count == 0) throw new IllegalArgumentException(jar + " holds no migrations under " + MIGRATIONS_IN_JAR);
    return into;
  }

  /**
   * The first process a JVM starts costs a few hundred milliseconds of its own; paying it here lets the
   * services start within milliseconds of each other. It also brings the JVM's files into the page cache.
   */
  private static void warmUp() {
    try {
      new ProcessBuilder(javaBinary(), "-version").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      // the services' start says what is wrong
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String seconds(long sinceNanos) {
    return String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - sinceNanos) / 1e9);
  }

  /** The {@code java} this process runs on, so the services run on the same one. */
  static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // leftovers in the temp directory; nothing runs from there
    }
  }
}
