package dev.muster.testing;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * PostgreSQL from the binaries on the classpath (zonky), in a temporary directory of its own.
 *
 * <p>A zonky {@link EmbeddedPostgres} runs exactly once: {@code close()} stops it for good. So {@link #stop()}
 * closes the instance, and {@link #start()} builds a new one on the same port and data directory, which
 * zonky then starts without running initdb again.
 */
final class EmbeddedBackend implements Backend {

    private static final String PREFIX = "muster-pg-";
    /** Held while this JVM lives, so other JVMs can tell a directory in use from an abandoned one. */
    private static final String OWNER_LOCK = "owner.lock";

    private final Path directory;
    private final FileChannel ownerLock;
    private final int port;
    private EmbeddedPostgres postgres; // null while stopped

    private EmbeddedBackend(Path directory, FileChannel ownerLock, EmbeddedPostgres postgres) {
        this.directory = directory;
        this.ownerLock = ownerLock;
        this.postgres = postgres;
        this.port = postgres.getPort();
    }

    static EmbeddedBackend open() {
        try {
            Path parent = parentDirectory();
            removeAbandoned(parent);
            Path directory = Files.createTempDirectory(parent, PREFIX);
            FileChannel ownerLock = FileChannel.open(directory.resolve(OWNER_LOCK), CREATE, WRITE);
            ownerLock.lock();
            return new EmbeddedBackend(directory, ownerLock, launch(directory, 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Memory when there is room: with the data on this machine's disk a CREATE DATABASE took ~270 ms, on
     * tmpfs ~10 ms, fsync=off notwithstanding.
     */
    static Path parentDirectory() throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm) && Files.getFileStore(shm).getUsableSpace() > 1L << 30) {
            return shm;
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Port 0 lets zonky pick a free one. */
    private static EmbeddedPostgres launch(Path directory, int port) {
        // zonky logs initdb and postgres output through SLF4J, which has no provider here: keep it in a file.
        Redirect log = Redirect.appendTo(directory.resolve("postgres.log").toFile());
        try {
            return EmbeddedPostgres.builder()
                    .setDataDirectory(directory.resolve("data"))
                    .setCleanDataDirectory(false) // start() after stop() must find the data again
                    .setRegisterShutdownHook(false) // one hook per start would pile up; PostgresServer has its own
                    .setPort(port)
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off")
                    .setServerConfig("max_wal_size", "256MB") // the WAL may be in memory: keep it small
                    .setOutputRedirector(log)
                    .setErrorRedirector(log)
                    .start();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Embedded PostgreSQL did not start. The end of its log:\n"
                    + tail(log.file().toPath()), e);
        }
    }

    /**
     * Deletes what JVMs killed before their shutdown hook ran left behind: in memory it would stay until
     * reboot. Their postgres outlived them too, so it is stopped first.
     */
    private static void removeAbandoned(Path parent) throws IOException {
        try (DirectoryStream<Path> directories = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path directory : directories) {
                try (FileChannel channel = FileChannel.open(directory.resolve(OWNER_LOCK), WRITE);
                        FileLock abandoned = channel.tryLock()) {
                    if (abandoned != null) {
                        stopPostmaster(directory.resolve("data/postmaster.pid"));
                        delete(directory);
                    }
                } catch (IOException e) {
                    // Another JVM is just creating it, or it is not ours to delete: leave it.
                }
            }
        }
    }

    private static Optional<ProcessHandle> postmaster(Path pidFile) {
        try {
            if (!Files.exists(pidFile)) return Optional.empty();
            return ProcessHandle.of(Long.parseLong(Files.readAllLines(pidFile).get(0).strip()))
                    .filter(process -> process.info().command().orElse("").endsWith("/postgres"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** SIGQUIT: PostgreSQL's immediate shutdown; the next start recovers from the WAL. */
    private static void stopImmediately(ProcessHandle postmaster) {
        try {
            new ProcessBuilder("kill", "-QUIT", String.valueOf(postmaster.pid())).inheritIO().start().waitFor();
            postmaster.onExit().completeOnTimeout(postmaster, 30, TimeUnit.SECONDS).join();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stopPostmaster(Path pidFile) {
        postmaster(pidFile).ifPresent(postmaster -> {
            postmaster.destroy(); // SIGTERM: its clients died with their JVM
            // It writes into its directory until it is gone.
            postmaster.onExit().completeOnTimeout(postmaster, 10, TimeUnit.SECONDS).join();
        });
    }

    @Override
    public String kind() {
        return "embedded";
    }

    @Override
    public String host() {
        return "localhost";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String user() {
        return "postgres";
    }

    @Override
    public String password() {
        return ""; // initdb -A trust
    }

    @Override
    public String adminDatabase() {
        return "postgres";
    }

    @Override
    public boolean restartable() {
        return true;
    }

    @Override
    public synchronized void stop() {
        if (postgres == null) {
            return;
        }
        Optional<ProcessHandle> postmaster = postmaster(directory.resolve("data/postmaster.pid"));
        try {
            postgres.close(); // pg_ctl stop -m fast: open sessions are terminated
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            postgres = null;
            // pg_ctl can give up on a postmaster that is still shutting down (once, in a full run, it exited 60 s
            // after the request, when the next start had already failed): then an immediate shutdown, as a crash
            // would be, so that the next start() does not find it still running.
            postmaster.filter(ProcessHandle::isAlive).ifPresent(EmbeddedBackend::stopImmediately);
        }
    }

    @Override
    public synchronized void start() {
        if (postgres == null) {
            postgres = launch(directory, port);
        }
    }

    @Override
    public void close() {
        stop();
        try {
            ownerLock.close();
            delete(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path directory) throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }
}
