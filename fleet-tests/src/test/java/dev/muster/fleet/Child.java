package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * A child process whose output (stdout and stderr merged) is collected line by line, so a test can wait
 * for the line that says something happened instead of sleeping. Closing it stops it and its descendants.
 */
final class Child implements AutoCloseable {
  /** Notified on every line of every child, for waits on several at once. */
  private static final Object ANY_LINE = new Object();

  final String name;
  final Process process;
  private final List<String> lines = new ArrayList<>();
  private boolean ended;

  private Child(String name, Process process) {
    this.name = name;
    this.process = process;
    Thread reader = new Thread(this::read, "output-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  static Child start(String name, List<String> command, Map<String, String> environment, Path directory) {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (directory != null) pb.directory(directory.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("MUSTER_") || k.equals("DATABASE_URL"));
    pb.environment().putAll(environment);
    try {
      return new Child(name, pb.start());
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name + ": " + command, e);
    }
  }

  /** Starts several at once: every builder is made first, then all are started in one loop. */
  static List<Child> startTogether(Map<String, List<String>> commands, Map<String, Map<String, String>> environments,
      Path directory) {
    List<ProcessBuilder> builders = new ArrayList<>();
    List<String> names = new ArrayList<>(commands.keySet());
    for (String name : names) {
      ProcessBuilder pb = new ProcessBuilder(commands.get(name)).redirectErrorStream(true).directory(directory.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("MUSTER_") || k.equals("DATABASE_URL"));
      pb.environment().putAll(environments.get(name));
      builders.add(pb);
    }
    List<Child> children = new ArrayList<>();
    try {
      for (int i = 0; i < builders.size(); i++) children.add(new Child(names.get(i), builders.get(i).start()));
    } catch (IOException e) {
      children.forEach(Child::close);
      throw new UncheckedIOException(e);
    }
    return children;
  }

  private void read() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        synchronized (this) {
          lines.add(line);
          notifyAll();
        }
        synchronized (ANY_LINE) {
          ANY_LINE.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process is gone
    } finally {
      synchronized (this) {
        ended = true;
        notifyAll();
      }
      synchronized (ANY_LINE) {
        ANY_LINE.notifyAll();
      }
    }
  }

  /**
   * The first line, from the start, that matches; waits for it up to {@code timeout}.
   *
   * @throws AssertionError with the output so far if none comes, or the output ends first
   */
  synchronized String await(Predicate<String> matching, String what, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = 0;
    while (true) {
      for (; seen < lines.size(); seen++) {
        if (matching.test(lines.get(seen))) return lines.get(seen);
      }
      long left = deadline - System.nanoTime();
      if (ended) fail(name + " ended its output without " + what + ":\n" + output());
      if (left <= 0) fail(name + " did not print " + what + " within " + timeout.toSeconds() + " s:\n" + output());
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /**
   * Waits until the children together have printed {@code count} lines that match.
   *
   * @throws AssertionError with their output if they do not within {@code timeout}
   */
  static void awaitTotal(List<Child> children, Predicate<String> matching, int count, String what, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (ANY_LINE) {
      while (true) {
        int total = children.stream().mapToInt(c -> c.linesMatching(matching).size()).sum();
        if (total >= count) return;
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail(total + " of " + count + " " + what + " within " + timeout.toSeconds() + " s:\n"
              + children.stream().map(Child::output).reduce("", (a, b) -> a + "\n" + b));
        }
        TimeUnit.NANOSECONDS.timedWait(ANY_LINE, left);
      }
    }
  }

  /**
   * Waits until {@code condition} holds, checking it whenever one of the children prints a line or ends its output.
   *
   * @throws AssertionError with the children's output if it does not within {@code timeout}
   */
  static void awaitUntil(List<Child> children, BooleanSupplier condition, String what, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (ANY_LINE) {
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail("not " + what + " within " + timeout.toSeconds() + " s:\n"
              + children.stream().map(c -> "--- " + c.name + "\n" + c.output()).reduce("", (a, b) -> a + "\n" + b));
        }
        // Bounded: a process can end without a last line, and the reader sees the end a moment later.
        TimeUnit.NANOSECONDS.timedWait(ANY_LINE, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
      }
    }
  }

  /** Whether the process has ended. */
  boolean exited() {
    return !process.isAlive();
  }

  /** Every line that matches so far. */
  synchronized List<String> linesMatching(Predicate<String> matching) {
    return lines.stream().filter(matching).toList();
  }

  synchronized String output() {
    return String.join("\n", lines);
  }

  /** Waits for the process to exit and returns its exit code. */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      fail(name + " did not exit within " + timeout.toSeconds() + " s:\n" + output());
    }
    synchronized (this) {
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (!ended && System.nanoTime() < deadline) TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
    }
    return process.exitValue();
  }

  /** SIGKILL to the processes and all their descendants at once, then waits for them: no graceful stop. */
  static void killAll(List<Child> children) {
    List<ProcessHandle> all = new ArrayList<>();
    for (Child c : children) {
      all.addAll(c.process.descendants().toList());
      all.add(c.process.toHandle());
    }
    all.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        // gone or stuck in the kernel: nothing more to do
      }
    }
  }

  /** SIGTERM to the process and its descendants; SIGKILL to what is left after 20 s. */
  @Override
  public void close() {
    List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
    all.add(process.toHandle());
    all.forEach(ProcessHandle::destroy);
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    }
  }
}
