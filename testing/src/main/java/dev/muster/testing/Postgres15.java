package dev.muster.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL 15 server of the test's own (the Debian binaries in {@code /usr/lib/postgresql/15/bin}), durable
 * ({@code fsync=on}), that the test may stop and start again under an orchestrator — unlike the shared fixture.
 * Trust authentication on 127.0.0.1 only; everything in a temporary directory that {@link #close()} removes.
 * As root, the server runs as the {@code postgres} user (PostgreSQL refuses to run as root).
 */
public final class Postgres15 implements AutoCloseable {
  public static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

  private final Path directory;
  private final Path data;
  private final int port;
  private boolean running;

  private Postgres15(Path directory, int port) {
    this.directory = directory;
    this.data = directory.resolve("data");
    this.port = port;
  }

  /** Whether the binaries are installed here. */
  public static boolean available() {
    return Files.isExecutable(BIN.resolve("postgres"));
  }

  /** initdb and start (a few seconds); the caller closes it. */
  public static Postgres15 start() {
    try {
      Path dir = Files.createTempDirectory("muster-pg15-");
      Postgres15 pg = new Postgres15(dir, freePort());
      try {
        Files.createDirectories(pg.data);
        pg.chown(dir);
        pg.exec(List.of(BIN.resolve("initdb").toString(), "-D", pg.data.toString(), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-instructions"));
        pg.startAgain();
        return pg;
      } catch (RuntimeException e) {
        pg.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** The database URL of {@code postgres} on it, as {@code MUSTER_DATABASE_URL} takes it. */
  public String url() {
    return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
  }

  /**
   * Stops the server at once ({@code -m immediate}: every session cut, as a crash or a failover would; the next
   * start recovers from the WAL).
   */
  public void stop() {
    exec(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"));
    running = false;
  }

  /** Starts it again on the same port, with the same data. */
  public void startAgain() {
    exec(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-l",
        directory.resolve("postgres.log").toString(), "-o",
        "-p " + port + " -k " + directory + " -c listen_addresses=127.0.0.1 -c fsync=on", "start"));
    running = true;
  }

  @Override
  public void close() {
    try {
      if (running) stop();
    } catch (RuntimeException ignored) {
      // the directory goes anyway
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory
    }
  }

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  private void chown(Path dir) {
    if (root()) exec(List.of("chown", "-R", "postgres:postgres", dir.toString()), false);
  }

  private void exec(List<String> command) {
    exec(command, root());
  }

  private void exec(List<String> command, boolean asPostgres) {
    List<String> full = new ArrayList<>();
    if (asPostgres) full.addAll(List.of("runuser", "-u", "postgres", "--"));
    full.addAll(command);
    try {
      Path out = Files.createTempFile("muster-pg15-", ".out");
      try {
        Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(String.join(" ", command) + " did not end within 60 s");
        }
        if (p.exitValue() != 0) {
          throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": "
              + Files.readString(out));
        }
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
