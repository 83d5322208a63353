package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Node.js script of {@code src/test/e2e/} (the dashboard's browser test) and lets it and the JUnit test
 * take turns. The script prints {@code STEP <name>} and waits; the test does that step's part (start clients,
 * stop a replica…) and answers {@code OK}, or {@code FAIL <reason>}. Every other line the script prints is
 * kept for the failure message.
 */
final class NodeScript implements AutoCloseable {
  /** Debian's Chromium; {@code MUSTER_CHROMIUM} points elsewhere. */
  static final String DEFAULT_CHROMIUM = "/usr/bin/chromium";

  /** One step of the test's part; returns nothing or throws to fail the script. */
  interface Step {
    void run(String name) throws Exception;
  }

  private final Process process;
  private final BufferedReader out;
  private final Writer in;
  private final List<String> transcript = new ArrayList<>();

  private NodeScript(Process process) {
    this.process = process;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  /** The e2e folder: {@code src/test/e2e} of this module. */
  static Path e2eDirectory() {
    Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    Path dir = base.resolve("src/test/e2e");
    if (!Files.isDirectory(dir)) dir = base.resolve("orchestrator/src/test/e2e");
    if (!Files.isDirectory(dir)) fail("Cannot find the e2e folder (src/test/e2e) from " + base.toAbsolutePath());
    return dir.toAbsolutePath();
  }

  /** The Chromium to drive: fails — never skips — with how to install it when there is none. */
  static Path chromium() {
    String configured = System.getenv("MUSTER_CHROMIUM");
    Path path = Path.of(configured != null && !configured.isBlank() ? configured : DEFAULT_CHROMIUM);
    if (!Files.isExecutable(path)) {
      fail("The dashboard's browser test needs Chromium at " + path + ", and there is none.\n"
          + "  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y chromium\n"
          + "  or point MUSTER_CHROMIUM at a Chromium or Chrome binary.\n"
          + "  (.ci/run installs it on CI machines.)");
    }
    return path;
  }

  /**
   * {@code npm ci} in {@code dir} unless its {@code node_modules} was installed from this very lockfile
   * (a stamp keeps the lockfile's hash). playwright-core downloads no browser.
   */
  static void npmCi(Path dir) throws IOException, InterruptedException {
    require("node", "--version");
    require("npm", "--version");
    String hash = HexFormat.of().formatHex(sha256(Files.readAllBytes(dir.resolve("package-lock.json"))));
    Path stamp = dir.resolve("node_modules/.muster-lock-sha256");
    if (Files.isRegularFile(stamp) && Files.readString(stamp).trim().equals(hash)) return;
    Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
        .directory(dir.toFile()).redirectErrorStream(true).start();
    npm.getOutputStream().close();
    String output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!npm.waitFor(5, TimeUnit.MINUTES)) {
      npm.destroyForcibly();
      fail("npm ci in " + dir + " took more than 5 minutes:\n" + output);
    }
    if (npm.exitValue() != 0) fail("npm ci in " + dir + " failed (exit " + npm.exitValue() + "):\n" + output);
    Files.writeString(stamp, hash + "\n");
  }

  /** Runs {@code node args...} in {@code dir} to its end; fails with its output unless it exits 0. */
  static void runToEnd(Path dir, Duration limit, String... args) throws IOException, InterruptedException {
    runToEnd(dir, Map.of(), limit, args);
  }

  /** The same, with these environment variables. */
  static void runToEnd(Path dir, Map<String, String> env, Duration limit, String... args)
      throws IOException, InterruptedException {
    require("node", "--version");
    List<String> cmd = new ArrayList<>(List.of("node"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process node = pb.start();
    node.getOutputStream().close();
    String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!node.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      node.destroyForcibly();
      fail("node " + String.join(" ", args) + " took more than " + limit.toSeconds() + " s:\n" + output);
    }
    System.out.println(output);
    if (node.exitValue() != 0) fail("node " + String.join(" ", args) + " failed (exit " + node.exitValue() + "):\n" + output);
  }

  /** Starts {@code node script} in {@code dir} with these environment variables. */
  static NodeScript start(Path dir, String script, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("node", script).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    return new NodeScript(pb.start());
  }

  /**
   * Reads the script's output until it exits, doing each step it asks for; returns its exit code. Kills it
   * after {@code limit}.
   */
  int run(Step steps, Duration limit) throws InterruptedException {
    Thread watchdog = new Thread(() -> {
      try {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
          synchronized (transcript) {
            transcript.add("[killed after " + limit.toSeconds() + " s]");
          }
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "e2e-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    long started = System.nanoTime();
    try {
      for (String line; (line = out.readLine()) != null; ) {
        System.out.printf("[e2e %5.1f s] %s%n", (System.nanoTime() - started) / 1e9, line);
        synchronized (transcript) {
          transcript.add(line);
        }
        if (line.startsWith("STEP ")) answer(steps, line.substring(5).trim());
      }
    } catch (IOException e) {
      synchronized (transcript) {
        transcript.add("[output closed: " + e + "]");
      }
    }
    int code = process.waitFor();
    watchdog.interrupt();
    return code;
  }

  private void answer(Step steps, String name) {
    String reply;
    try {
      steps.run(name);
      reply = "OK";
    } catch (Throwable e) {
      e.printStackTrace(System.out);
      reply = "FAIL " + (e + "").replace('\n', ' ');
      synchronized (transcript) {
        transcript.add("[step " + name + " failed in the test: " + e + "]");
      }
    }
    try {
      in.write(reply + "\n");
      in.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("the script went away during step " + name, e);
    }
  }

  /** Everything the script printed, for a failure message. */
  String transcript() {
    synchronized (transcript) {
      return String.join("\n", transcript);
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  private static void require(String command, String... args) throws InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (p.waitFor() == 0) return;
    } catch (IOException e) {
      // not installed: fall through to the message
    }
    fail("The dashboard's browser test needs `" + command + "` (Node.js 20+ with npm) on the PATH.\n"
        + "  Debian/Ubuntu: sudo apt-get install -y nodejs npm, or see https://nodejs.org/");
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
