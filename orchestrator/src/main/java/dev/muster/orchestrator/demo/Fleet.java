package dev.muster.orchestrator.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's sample services, each a separate OS process of the same {@code java} binary, started together.
 * Their output goes to the {@link DemoConsole}; {@link #allStarted()} completes when each has printed its
 * "started" line, or fails as soon as one exits before it.
 */
final class Fleet {
  /** The sample service's line once it is up ({@code SampleService.STARTED} in the sample app). */
  static final String STARTED = "started: ";
  private static final Pattern SERVING = Pattern.compile("serving (http://\\S+)");
  /** Light JVMs: five of them share a laptop with PostgreSQL and the orchestrator. */
  private static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m");

  /** One service instance to start. */
  record Spec(String name, String role, Map<String, String> environment) {}

  /** A service that is running or has run. */
  static final class Member {
    final int index;
    final Spec spec;
    final Process process;
    final CompletableFuture<String> started = new CompletableFuture<>();
    volatile String url;

    Member(int index, Spec spec, Process process) {
      this.index = index;
      this.spec = spec;
      this.process = process;
    }

    String name() {
      return spec.name;
    }
  }

  /** A service exited before it started. */
  static final class ExitedEarly extends RuntimeException {
    final String name;
    final int exitCode;

    ExitedEarly(String name, int exitCode) {
      super(name + " exited with code " + exitCode + " (" + meaning(exitCode) + ")", null, false, false);
      this.name = name;
      this.exitCode = exitCode;
    }
  }

  private final List<Member> members = new ArrayList<>();
  private final List<Thread> pumps = new ArrayList<>();
  private final DemoConsole console;
  private volatile boolean stopping;
  private long startSpreadNanos;

  private Fleet(DemoConsole console) {
    this.console = console;
  }

  /**
   * Prepares every process first, then starts them in one tight loop, so they begin within milliseconds of
   * each other, as services of a deploy do.
   */
  static Fleet start(String java, Path sampleAppJar, List<Spec> specs, Map<String, String> common,
      DemoConsole console) throws IOException {
    Fleet fleet = new Fleet(console);
    List<ProcessBuilder> builders = new ArrayList<>();
    for (Spec spec : specs) {
      List<String> command = new ArrayList<>();
      command.add(java);
      command.addAll(JVM_OPTIONS);
      command.add("-jar");
      command.add(sampleAppJar.toString());
      command.add(spec.role);
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      // The demo's fleet is self-contained: nothing from the caller's MUSTER_* or DATABASE_URL leaks in.
      pb.environment().keySet().removeIf(k -> k.startsWith("MUSTER_") || k.equals("DATABASE_URL")
          || k.equals("APP_PORT") || k.equals("BEAT_INTERVAL_SECONDS") || k.startsWith("SAMPLE_"));
      pb.environment().putAll(common);
      pb.environment().putAll(spec.environment);
      builders.add(pb);
    }
    long first = System.nanoTime();
    try {
      for (int i = 0; i < builders.size(); i++) {
        fleet.members.add(new Member(i, specs.get(i), builders.get(i).start()));
      }
    } catch (IOException e) {
      fleet.stop(Duration.ofSeconds(5));
      throw e;
    }
    fleet.startSpreadNanos = System.nanoTime() - first;
    for (Member m : fleet.members) fleet.watch(m);
    return fleet;
  }

  List<Member> members() {
    return members;
  }

  /** How far apart the first and the last process were started. */
  Duration startSpread() {
    return Duration.ofNanos(startSpreadNanos);
  }

  /** Completes when every service has started; fails with {@link ExitedEarly} when one exits first. */
  CompletableFuture<Void> allStarted() {
    return CompletableFuture.allOf(members.stream().map(m -> m.started).toArray(CompletableFuture[]::new));
  }

  private void watch(Member m) {
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(m.process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          console.line(m.index, m.name(), line);
          if (!m.started.isDone() && line.contains(STARTED + m.name() + " ")) {
            Matcher serving = SERVING.matcher(line);
            if (serving.find()) m.url = serving.group(1);
            m.started.complete(line);
          }
        }
      } catch (IOException e) {
        // the process is gone; onExit reports it
      }
    }, "demo-output-" + m.name());
    pump.setDaemon(true);
    pump.start();
    pumps.add(pump);
    m.process.onExit().thenAccept(p -> {
      if (!m.started.isDone()) m.started.completeExceptionally(new ExitedEarly(m.name(), p.exitValue()));
      else if (!stopping) console.say(m.name() + " exited with code " + p.exitValue() + " (" + meaning(p.exitValue()) + ")");
    });
  }

  /** Asks every service to stop (SIGTERM), waits up to {@code grace}, then kills what is left. */
  void stop(Duration grace) {
    stopping = true;
    List<ProcessHandle> all = new ArrayList<>();
    for (Member m : members) {
      m.process.descendants().forEach(all::add);
      all.add(m.process.toHandle());
    }
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + grace.toNanos();
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception notYet) {
        console.say(p.pid() + " did not stop within " + grace.toSeconds() + " s: killing it");
        p.destroyForcibly();
      }
    }
    for (Thread pump : pumps) {
      try {
        pump.join(1_000); // the last lines ("app-1 stopped") still reach the terminal
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  static String meaning(int exitCode) {
    switch (exitCode) {
      case 0: return "stopped";
      case 1: return "error";
      case 2: return "bad usage or configuration";
      case 3: return "the migration failed";
      case 4: return "gave up waiting";
      case 5: return "the orchestrator could not be reached";
      case 130: return "interrupted";
      case 137: return "killed";
      case 143: return "terminated";
      default: return "failed";
    }
  }
}
