package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar muster-orchestrator.jar demo}, as the README runs it: every service starts, and stopping
 * the demo leaves no process and no PostgreSQL behind.
 */
class DemoIT {
  static final Duration START = Duration.ofSeconds(150);
  static final Pattern DATA_DIRECTORY = Pattern.compile("data in (\\S+)\\)");
  static final List<String> SERVICES = List.of("app-1", "app-2", "worker-1", "worker-2", "beat-1");

  @Test
  void exitWhenReadyExitsZeroOnceEveryServiceHasStartedAndLeavesNothingRunning(@TempDir Path dir) throws Exception {
    try (Child demo = demo(dir, "--exit-when-ready")) {
      String dataLine = demo.await(l -> DATA_DIRECTORY.matcher(l).find(), "where PostgreSQL keeps its data", START);
      List<ProcessHandle> running = whileRunning(demo, dataLine);

      assertEquals(0, demo.awaitExit(START), demo.output());

      String output = demo.output();
      for (String service : SERVICES) {
        assertTrue(output.contains("started: " + service + " "), service + " started\n" + output);
      }
      assertTrue(output.contains("All 5 services started"), output);
      assertTrue(output.contains("Dashboard: http://localhost:"), output);
      assertTrue(output.contains("schema public is ready at V" + migrationCount()), output);
      assertNothingLeft(running, dataLine);
    }
  }

  @Test
  void sigtermStopsEveryServiceAndPostgresAndRemovesTheData(@TempDir Path dir) throws Exception {
    try (Child demo = demo(dir)) {
      String dataLine = demo.await(l -> DATA_DIRECTORY.matcher(l).find(), "where PostgreSQL keeps its data", START);
      demo.await(l -> l.contains("Press Ctrl-C to stop"), "that every service started", START);
      List<ProcessHandle> running = whileRunning(demo, dataLine);
      assertEquals(5, demo.process.children().filter(p -> commandLine(p).contains("muster-sample-app.jar")).count(),
          "five services, each a process of its own:\n" + describe(running));

      demo.process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output

      assertEquals(143, demo.awaitExit(Duration.ofSeconds(60)), "128 + SIGTERM, after a clean stop\n" + demo.output());
      String output = demo.output();
      for (String service : SERVICES) {
        assertTrue(output.contains(service + " stopped"), service + " stopped on its own terms\n" + output);
      }
      assertTrue(output.contains("Stopped: services, orchestrator and PostgreSQL."), output);
      assertFalse(output.contains("ERROR"), "nothing failed while stopping:\n" + output);
      assertNothingLeft(running, dataLine);
    }
  }

  private static Child demo(Path dir, String... extra) {
    List<String> command = new ArrayList<>(List.of(Paths.java(), "-jar", Paths.orchestratorJar().toString(), "demo",
        "--http-port", "0", "--app-port", "0", "--sample-app-jar", Paths.sampleAppJar().toString()));
    command.addAll(List.of(extra));
    return Child.start("demo", command, Map.of(), dir);
  }

  /**
   * The demo's process tree, once it has started the services, and the PostgreSQL server with its backends.
   * PostgreSQL runs in a session of its own (it is not the demo's descendant), so it is found by the data
   * directory on its command line.
   */
  private static List<ProcessHandle> whileRunning(Child demo, String dataLine) throws InterruptedException {
    demo.await(l -> l.startsWith("Started 5 services within"), "that the services were started", START);
    String data = dataDirectory(dataLine);
    List<ProcessHandle> postgres = ProcessHandle.allProcesses().filter(p -> commandLine(p).contains(data))
        .collect(Collectors.toList());
    assertFalse(postgres.isEmpty(), "PostgreSQL runs with its data in " + data);
    List<ProcessHandle> all = new ArrayList<>(postgres);
    for (ProcessHandle p : postgres) p.descendants().forEach(all::add);
    demo.process.descendants().forEach(all::add);
    assertTrue(all.stream().filter(p -> commandLine(p).contains("muster-sample-app.jar")).count() >= 5,
        "the five services are among them:\n" + describe(all));
    return all;
  }

  private static void assertNothingLeft(List<ProcessHandle> running, String dataLine) {
    // ProcessHandle remembers each process's start time: a reused PID does not count as alive.
    List<ProcessHandle> alive = running.stream().filter(DemoIT::running).collect(Collectors.toList());
    assertEquals(List.of(), alive, "still running after the demo ended:\n" + describe(alive));
    String data = dataDirectory(dataLine);
    assertEquals(List.of(), ProcessHandle.allProcesses().filter(p -> commandLine(p).contains(data))
        .map(ProcessHandle::pid).collect(Collectors.toList()), "no process uses " + data);
    Path demoDirectory = Path.of(data).getParent();
    assertFalse(Files.exists(demoDirectory), demoDirectory + " is removed");
  }

  /**
   * Alive and not a zombie. PostgreSQL's server process has PID 1 for its parent (it runs in a session of
   * its own), and PID 1 may take a moment to reap it after it exited: that is no process left running.
   */
  private static boolean running(ProcessHandle p) {
    if (!p.isAlive()) return false;
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(p.pid()), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (java.io.IOException | RuntimeException gone) {
      return p.isAlive();
    }
  }

  private static String dataDirectory(String line) {
    Matcher m = DATA_DIRECTORY.matcher(line);
    assertTrue(m.find(), line);
    return m.group(1);
  }

  private static String commandLine(ProcessHandle p) {
    return p.info().commandLine().orElse("");
  }

  private static String describe(List<ProcessHandle> processes) {
    return processes.stream().map(p -> p.pid() + " " + commandLine(p)).collect(Collectors.joining("\n"));
  }

  private static long migrationCount() throws Exception {
    try (var files = Files.list(Paths.migrations())) {
      return files.filter(f -> f.getFileName().toString().matches("V[0-9]+__.*\\.sql")).count();
    }
  }
}
