package dev.muster.bench;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The orchestrator as a deploy runs it: {@code serve} from the bench's own class path in an OS process of its own,
 * one replica, with its image's JVM options, its log in {@code orchestrator.log} of the work folder. The database URL
 * goes in its environment, never on a command line.
 */
final class OrchestratorProcess implements AutoCloseable {
  /**
   * The orchestrator's JVM options as its image runs it (orchestrator/Dockerfile; a test keeps the two the same): the
   * serial collector and a small first heap, which is what bounds its memory, not the number of streams.
   */
  static final List<String> IMAGE_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms32m", "-XX:MaxRAMPercentage=75",
      "-XX:TieredStopAtLevel=1");
  /** The environment its image sets for the JVM (orchestrator/Dockerfile's {@code ENV}; the same test). */
  static final Map<String, String> IMAGE_ENVIRONMENT = Map.of("MALLOC_ARENA_MAX", "2");

  private final Process process;
  private final String url;
  private final List<String> jvmOptions;

  private OrchestratorProcess(Process process, String url, List<String> jvmOptions) {
    this.process = process;
    this.url = url;
    this.jvmOptions = jvmOptions;
  }

  /**
   * Starts it on a free port and returns once {@code /ready} answers 200 (90 s at most).
   *
   * @param jvmOptions more JVM options, after the image's: a later option wins
   */
  static OrchestratorProcess start(BenchDatabase db, Path work, MigrationSet migrations, String replica,
      List<String> jvmOptions) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> options = new ArrayList<>(IMAGE_JVM_OPTIONS);
    options.addAll(jvmOptions);
    List<String> command = new ArrayList<>(List.of(java()));
    command.addAll(options);
    // Another build's orchestrator (-Dmuster.bench.orchestratorJar), to compare two builds with the same clients.
    String jar = System.getProperty("muster.bench.orchestratorJar", classPath());
    command.addAll(List.of("-cp", jar, "dev.muster.orchestrator.Main", "serve"));
    Path log = work.resolve("orchestrator.log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(IMAGE_ENVIRONMENT);
    pb.environment().putAll(Map.of("MUSTER_DATABASE_URL", db.url().uri(), "MUSTER_MIGRATIONS", migrations.location,
        "MUSTER_SCHEMAS", BenchDatabase.SCHEMA_PATTERN, "MUSTER_HTTP_PORT", String.valueOf(port),
        "MUSTER_MAX_STREAMS", "20000", "MUSTER_MAX_STREAMS_PER_CLIENT", "20000", "MUSTER_REPLICA", replica));
    OrchestratorProcess started = new OrchestratorProcess(pb.start(), "http://127.0.0.1:" + port, List.copyOf(options));
    try {
      started.awaitReady(log);
      return started;
    } catch (Exception | Error e) {
      started.close();
      throw e;
    }
  }

  /** The JVM running the bench, for the processes it starts. */
  static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  /** The bench's own class path: the shaded jar, or the build's classes under a test. */
  static String classPath() {
    return System.getProperty("java.class.path");
  }

  String url() {
    return url;
  }

  Process process() {
    return process;
  }

  /** Every JVM option it runs with, the image's first. */
  List<String> jvmOptions() {
    return jvmOptions;
  }

  private void awaitReady(Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the orchestrator exited: " + Files.readString(log));
      }
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(url + "/ready").toURL().openConnection();
        if (c.getResponseCode() == 200) return;
      } catch (IOException notYet) {
        // starting
      }
      Thread.sleep(200); // the bench's own start-up, not a wait path of Muster's
    }
    throw new IllegalStateException("the orchestrator was not ready within 90 s");
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(40, TimeUnit.SECONDS)) process.destroyForcibly();
  }
}
