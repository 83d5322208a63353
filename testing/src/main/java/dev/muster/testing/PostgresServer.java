package dev.muster.testing;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The PostgreSQL server for this JVM: started lazily by the first {@link #shared()}, shared by all tests,
 * stopped by a JVM shutdown hook. Usable from plain code as well as through {@link PostgresExtension}.
 *
 * <p>Which server, decided once at first use:
 * <ol>
 *   <li>{@code MUSTER_TEST_DATABASE_URL} (or {@code -Dmuster.test.database.url}, which wins) set: "external",
 *       the server that URL names ({@code postgresql://user:password@host:port/db}, {@code postgres://…} or
 *       {@code jdbc:postgresql://host:port/db?user=…&password=…}). Its role needs CREATEDB; the database in the
 *       URL is only used to create and drop the per-test ones.</li>
 *   <li>{@code -Dmuster.test.postgres=testcontainers}: "testcontainers", PostgreSQL 17 in Docker. Needs
 *       Docker and {@code org.testcontainers:postgresql} on the test classpath.</li>
 *   <li>Otherwise "embedded": PostgreSQL 17 from the binaries on the classpath, on a free port, tuned for
 *       tests (300 connections, no fsync).</li>
 * </ol>
 *
 * <p>Each {@link #createDatabase()} clones an empty template, {@value #TEMPLATE}, which nobody can connect
 * to: CREATE DATABASE fails while another session is connected to its template, so this keeps creation
 * safe from any number of threads.
 */
public final class PostgresServer {

    static final String TEMPLATE = "muster_template";

    private static final Logger LOG = System.getLogger(PostgresServer.class.getName());
    private static final AtomicLong COUNTER = new AtomicLong();

    private static PostgresServer shared;
    private static RuntimeException startFailure;

    private final Backend backend;
    /** How CREATE DATABASE copies the template: empty for the server's default. */
    private final String strategy;

    private PostgresServer(Backend backend) {
        this.backend = backend;
        this.strategy = prepare();
    }

    /**
     * The server for this JVM, started on the first call.
     *
     * @throws IllegalStateException if it cannot start; later calls throw too, without trying again
     */
    public static synchronized PostgresServer shared() {
        if (startFailure != null) {
            throw new IllegalStateException("PostgreSQL for tests failed to start earlier in this JVM", startFailure);
        }
        if (shared == null) {
            try {
                shared = start(openBackend());
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
            }
        }
        return shared;
    }

    private static Backend openBackend() {
        String url = System.getProperty("muster.test.database.url", System.getenv("MUSTER_TEST_DATABASE_URL"));
        if (url != null && !url.isBlank()) {
            return ExternalBackend.parse(url.strip());
        }
        String kind = System.getProperty("muster.test.postgres", "embedded");
        return switch (kind) {
            case "embedded" -> EmbeddedBackend.open();
            case "testcontainers" -> openTestcontainers();
            default -> throw new IllegalArgumentException(
                    "-Dmuster.test.postgres=" + kind + " is unknown: use embedded or testcontainers");
        };
    }

    private static Backend openTestcontainers() {
        try {
            return TestcontainersBackend.open();
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("-Dmuster.test.postgres=testcontainers needs"
                    + " org.testcontainers:postgresql on the test classpath (muster-testing declares it optional)."
                    + " Add it, or unset the property to use the embedded PostgreSQL.", e);
        }
    }

    private static PostgresServer start(Backend backend) {
        Runtime.getRuntime().addShutdownHook(new Thread(backend::close, "muster-postgres-shutdown"));
        PostgresServer server = new PostgresServer(backend);
        LOG.log(Level.INFO, "PostgreSQL for tests: {0}", server);
        return server;
    }

    /**
     * Checks the server, creates the template unless another JVM on the same server did, and picks how
     * CREATE DATABASE copies it. FILE_COPY (PostgreSQL 15+) took 8-10 ms here against 12-35 ms for the
     * default WAL_LOG, which writes the whole template to the WAL; but it checkpoints, cheap only with fsync off.
     */
    private String prepare() {
        try (Connection admin = connectAdmin(); Statement statement = admin.createStatement()) {
            ResultSet settings = statement.executeQuery(
                    "SELECT current_setting('server_version_num')::int, current_setting('fsync')");
            settings.next();
            int version = settings.getInt(1);
            boolean fsync = settings.getString(2).equals("on");
            if (version < 130000) {
                throw new IllegalStateException(this + " is older than PostgreSQL 13, which DROP DATABASE"
                        + " ... WITH (FORCE) needs");
            }
            try {
                // IS_TEMPLATE lets any CREATEDB role clone it; ALLOW_CONNECTIONS false keeps sessions out.
                statement.execute("CREATE DATABASE " + TEMPLATE
                        + " TEMPLATE template0 IS_TEMPLATE true ALLOW_CONNECTIONS false");
            } catch (SQLException e) {
                // 42P04: it exists already; 23505: another JVM is creating it right now.
                if (!"42P04".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) {
                    throw e;
                }
            }
            return version >= 150000 && !fsync ? " STRATEGY FILE_COPY" : "";
        } catch (SQLException e) {
            throw new IllegalStateException("Could not prepare " + TEMPLATE + " on " + this + " as " + user(), e);
        }
    }

    /** "embedded", "external" or "testcontainers". */
    public String kind() {
        return backend.kind();
    }

    public String host() {
        return backend.host();
    }

    public int port() {
        return backend.port();
    }

    /** A role that may create databases. */
    public String user() {
        return backend.user();
    }

    /** Empty when the server trusts {@link #user()}, as the embedded one does. */
    public String password() {
        return backend.password();
    }

    /**
     * Creates a new, empty database with a unique name ({@code muster_t_<counter>_<random>}: unique across
     * JVMs sharing an external server too). Safe to call from many threads at once. The caller drops it
     * with {@link #dropDatabase(TestDatabase)}.
     *
     * @throws IllegalStateException if PostgreSQL refuses
     */
    public TestDatabase createDatabase() {
        String name = String.format("muster_t_%d_%08x",
                COUNTER.incrementAndGet(), ThreadLocalRandom.current().nextInt());
        execute("CREATE DATABASE " + name + " TEMPLATE " + TEMPLATE + strategy, "create " + name);
        return new TestDatabase(name, host(), port(), user(), password());
    }

    /**
     * Drops the database, first terminating any sessions still connected to it.
     *
     * @throws IllegalStateException if PostgreSQL refuses, for example because the server is stopped
     */
    public void dropDatabase(TestDatabase database) {
        execute("DROP DATABASE IF EXISTS " + database.name() + " WITH (FORCE)", "drop " + database.name());
    }

    /**
     * Stops the PostgreSQL process, as a crash would look to clients: their connections break and new ones
     * are refused until {@link #start()}. Does nothing if already stopped. Embedded server only.
     *
     * @throws UnsupportedOperationException unless {@link #restartable()}
     */
    public void stop() {
        backend.stop();
    }

    /**
     * Starts the stopped server again on the same port with the same data. Does nothing if it is running.
     * Embedded server only.
     *
     * @throws UnsupportedOperationException unless {@link #restartable()}
     */
    public void start() {
        backend.start();
    }

    /** Whether {@link #stop()} and {@link #start()} work: only for the embedded server. */
    public boolean restartable() {
        return backend.restartable();
    }

    @Override
    public String toString() {
        return backend.kind() + " PostgreSQL at " + host() + ":" + port();
    }

    private void execute(String sql, String what) {
        try (Connection admin = connectAdmin(); Statement statement = admin.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not " + what + " on " + this, e);
        }
    }

    private Connection connectAdmin() throws SQLException {
        return connect(host(), port(), backend.adminDatabase(), user(), password());
    }

    static Connection connect(String host, int port, String database, String user, String password)
            throws SQLException {
        Properties credentials = new Properties();
        credentials.setProperty("user", user);
        if (!password.isEmpty()) {
            credentials.setProperty("password", password);
        }
        return DriverManager.getConnection(jdbcUrl(host, port, database), credentials);
    }

    static String jdbcUrl(String host, int port, String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }
}
