package dev.muster.orchestrator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code serve} in an OS process of its own, built from this test JVM's classpath, so a test can SIGKILL it
 * the way a crashed container dies. Its log is kept for the failure message.
 */
final class OrchestratorProcess implements AutoCloseable {
  private static final Pattern SERVING = Pattern.compile("serving on http://localhost:(\\d+)/");

  private final Process process;
  private final String name;
  private final List<String> log = new ArrayList<>();
  private final CompletableFuture<Integer> port = new CompletableFuture<>();
  private final Thread reader;

  private OrchestratorProcess(Process process, String name) {
    this.process = process;
    this.name = name;
    reader = new Thread(this::readLog, "log-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  static OrchestratorProcess start(String name, String databaseUrl, Path migrations, Map<String, String> env) {
    String java = ProcessHandle.current().info().command().orElse("java");
    // Surefire hides the real classpath behind a manifest-only jar; it publishes it here.
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", classpath,
        Main.class.getName(), "serve").redirectErrorStream(true);
    pb.environment().put("MUSTER_DATABASE_URL", databaseUrl);
    pb.environment().put("MUSTER_MIGRATIONS", "filesystem:" + migrations.toAbsolutePath());
    pb.environment().put("MUSTER_HTTP_PORT", "0");
    pb.environment().put("MUSTER_REPLICA", name);
    pb.environment().putAll(env);
    try {
      return new OrchestratorProcess(pb.start(), name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Blocks until the process serves (it says so in its log), and returns its base URL. */
  String url() {
    try {
      return "http://127.0.0.1:" + port.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(name + " did not start:\n" + log(), e);
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook, no unlock; PostgreSQL sees the sessions drop. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM: the graceful stop. Returns the exit code. */
  int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) throw new IllegalStateException(name + " ignored SIGTERM:\n" + log());
    return process.exitValue();
  }

  /** The exit code of a process that ends by itself (a refused start); fails if it is still running after {@code bound}. */
  int awaitExit(java.time.Duration bound) throws InterruptedException {
    if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(name + " still runs after " + bound + ":\n" + log());
    }
    reader.join(5_000); // its last words
    return process.exitValue();
  }

  boolean alive() {
    return process.isAlive();
  }

  String log() {
    synchronized (log) {
      return String.join("\n", log);
    }
  }

  private void readLog() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        synchronized (log) {
          log.add(line);
        }
        Matcher m = SERVING.matcher(line);
        if (m.find()) port.complete(Integer.parseInt(m.group(1)));
      }
    } catch (IOException ignored) {
      // the process died; what it said is kept
    }
    port.completeExceptionally(new IllegalStateException(name + " exited"));
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) kill();
  }
}
