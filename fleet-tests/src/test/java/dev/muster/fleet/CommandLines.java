package dev.muster.fleet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Every process's command line, as {@code ps} shows it to any user of the host (from /proc). */
final class CommandLines {
  private CommandLines() {}

  static List<String> all() {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
      for (Path process : processes.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          byte[] raw = Files.readAllBytes(process.resolve("cmdline"));
          if (raw.length > 0) {
            lines.add(new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip());
          }
        } catch (IOException gone) {
          // the process ended meanwhile
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return lines;
  }

  /**
   * Waits until at least {@code count} command lines match: there is no event to wait on for another
   * process's exec, so this looks every 50 ms, for at most 30 s.
   */
  static List<String> awaitMatching(Predicate<String> matching, int count) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      List<String> found = all().stream().filter(matching).toList();
      if (found.size() >= count) return found;
      if (System.nanoTime() > deadline) {
        throw new AssertionError(found.size() + " of " + count + " matching command lines within 30 s: " + found);
      }
      Thread.sleep(50);
    }
  }
}
