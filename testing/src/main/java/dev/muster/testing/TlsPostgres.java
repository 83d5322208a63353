package dev.muster.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of its own that accepts only TLS, for tests of what Muster does with {@code sslmode}:
 * zonky's PostgreSQL 17 with {@code ssl=on}, a CA and a server certificate made for it with {@code openssl}, and
 * a {@code pg_hba.conf} of {@code hostssl … scram-sha-256} (and {@code cert} for {@link #CERT_USER}) with
 * {@code hostnossl … reject}. Everything lives in a temporary directory that {@link #close()} removes.
 *
 * <pre>{@code
 * try (TlsPostgres tls = TlsPostgres.start()) {
 *     TestDatabase db = tls.createDatabase();
 *     String url = tls.url(db, "sslmode=verify-full&sslrootcert=" + tls.ca());
 * }
 * }</pre>
 *
 * <p>The server certificate names {@code localhost} only (no IP address), so {@code verify-full} to
 * {@code 127.0.0.1} is a host-name mismatch. {@link #otherCa()} is a CA that signed nothing here.
 */
public final class TlsPostgres implements AutoCloseable {
    /** The role tests connect as, with {@link #password()}; it may create databases. */
    public static final String USER = "muster";
    /** A role that logs in with a client certificate ({@link #clientCertificate()}) instead of a password. */
    public static final String CERT_USER = "muster_cert";

    private static final String HBA = String.join("\n",
            "# TLS only: every TCP connection without it is refused.",
            "hostssl   all  " + CERT_USER + "  127.0.0.1/32  cert",
            "hostssl   all  " + CERT_USER + "  ::1/128       cert",
            "hostssl   all  all          127.0.0.1/32  scram-sha-256",
            "hostssl   all  all          ::1/128       scram-sha-256",
            "hostnossl all  all          0.0.0.0/0     reject",
            "hostnossl all  all          ::/0          reject",
            "");

    private final Path directory;
    private final EmbeddedPostgres postgres;
    private final String adminPassword;
    private final String password;
    /** Stops the server and removes its directory (in memory, it would outlive the JVM) if nobody closes it. */
    private final Thread cleanup = new Thread(this::stopAndDelete, "muster-tls-postgres-cleanup");
    private int databases;

    private TlsPostgres(Path directory, EmbeddedPostgres postgres, String adminPassword, String password) {
        this.directory = directory;
        this.postgres = postgres;
        this.adminPassword = adminPassword;
        this.password = password;
    }

    /** Makes the certificates and starts the server (a few seconds); the caller closes it. */
    public static TlsPostgres start() {
        Path directory;
        try {
            directory = Files.createTempDirectory(EmbeddedBackend.parentDirectory(), "muster-tls-pg-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path tls = Files.createDirectories(directory.resolve("tls"));
            makeCertificates(tls);
            String adminPassword = secret();
            Path passwordFile = Files.writeString(directory.resolve("admin-password"), adminPassword);
            Redirect log = Redirect.appendTo(directory.resolve("postgres.log").toFile());
            EmbeddedPostgres postgres;
            try {
                postgres = EmbeddedPostgres.builder()
                        .setDataDirectory(directory.resolve("data"))
                        .setCleanDataDirectory(true)
                        .setRegisterShutdownHook(false) // ours stops it and removes the directory too
                        .setLocaleConfig("pwfile", passwordFile.toString()) // zonky passes these on to initdb
                        .setDataDirectoryCustomizer(data -> configure(data.toPath(), tls))
                        .setServerConfig("ssl", "on")
                        .setServerConfig("ssl_cert_file", "server.crt")
                        .setServerConfig("ssl_key_file", "server.key")
                        .setServerConfig("ssl_ca_file", "ca.crt")
                        .setServerConfig("password_encryption", "scram-sha-256")
                        .setServerConfig("fsync", "off")
                        .setConnectConfig("sslmode", "require") // zonky's own readiness check
                        .setConnectConfig("password", adminPassword)
                        .setOutputRedirector(log)
                        .setErrorRedirector(log)
                        .start();
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("The TLS PostgreSQL did not start. Its log:\n"
                        + read(directory.resolve("postgres.log")), e);
            }
            TlsPostgres server = new TlsPostgres(directory, postgres, adminPassword, secret());
            Runtime.getRuntime().addShutdownHook(server.cleanup);
            try {
                server.admin().execute("CREATE ROLE " + USER + " LOGIN CREATEDB PASSWORD '" + server.password + "'");
                server.admin().execute("CREATE ROLE " + CERT_USER + " LOGIN");
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException | RuntimeException e) {
            delete(directory);
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    public String host() {
        return "localhost";
    }

    public int port() {
        return postgres.getPort();
    }

    /** {@link #USER}'s password (random, per server). */
    public String password() {
        return password;
    }

    /** The CA that signed the server's certificate (PEM). */
    public Path ca() {
        return directory.resolve("tls/ca.crt");
    }

    /** A CA that signed nothing this server presents: the wrong {@code sslrootcert}. */
    public Path otherCa() {
        return directory.resolve("tls/other-ca.crt");
    }

    /** A client certificate for {@link #CERT_USER}, signed by {@link #ca()} (PEM). */
    public Path clientCertificate() {
        return directory.resolve("tls/client.crt");
    }

    /** The client certificate's private key (PEM, PKCS#8, unencrypted). */
    public Path clientKey() {
        return directory.resolve("tls/client.key");
    }

    /** The server's log, where a refused connection says why. */
    public String log() {
        return read(directory.resolve("postgres.log"));
    }

    /** A new, empty database owned by {@link #USER}, who connects to it with {@link #password()}. */
    public synchronized TestDatabase createDatabase() {
        String name = "muster_tls_" + (++databases);
        admin().execute("CREATE DATABASE " + name + " OWNER " + USER);
        return new TestDatabase(name, host(), port(), USER, password);
    }

    /**
     * {@code postgresql://muster:password@localhost:port/db?parameters}: {@code parameters} such as
     * {@code "sslmode=verify-full&sslrootcert=" + ca()}, or empty.
     */
    public String url(TestDatabase database, String parameters) {
        return database.url() + (parameters.isEmpty() ? "" : "?" + parameters);
    }

    /**
     * The superuser on the {@code postgres} database, over TLS: for what only it may see, such as every
     * session's row in {@code pg_stat_ssl}.
     */
    public TestDatabase admin() {
        return new TestDatabase("postgres", host(), port(), "postgres", adminPassword);
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            return; // the JVM is exiting: the hook does it
        }
        stopAndDelete();
    }

    private void stopAndDelete() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            delete(directory);
        }
    }

    @Override
    public String toString() {
        return "TLS-only PostgreSQL at " + host() + ":" + port();
    }

    private static void makeCertificates(Path tls) throws IOException {
        String days = "2";
        openssl(tls, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "ca.key", "-out", "ca.crt", "-days", days, "-subj", "/CN=Muster test CA");
        openssl(tls, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", days, "-subj", "/CN=Some other CA");
        Files.writeString(tls.resolve("server.ext"), "subjectAltName=DNS:localhost\n");
        openssl(tls, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        openssl(tls, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.crt", "-days", days, "-extfile", "server.ext");
        // RSA: pgjdbc reads a PEM client key as RSA unless told otherwise (pemKeyAlgorithm).
        openssl(tls, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr",
                "-subj", "/CN=" + CERT_USER);
        openssl(tls, "x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "client.crt", "-days", days);
        Files.setPosixFilePermissions(tls.resolve("client.key"), PosixFilePermissions.fromString("rw-------"));
    }

    /** After initdb, before the first start: the server's key and certificates, and the TLS-only pg_hba.conf. */
    private static void configure(Path data, Path tls) {
        try {
            for (String file : List.of("server.crt", "server.key", "ca.crt")) {
                Files.copy(tls.resolve(file), data.resolve(file));
            }
            // PostgreSQL refuses a key that others may read.
            Files.setPosixFilePermissions(data.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
            Files.writeString(data.resolve("pg_hba.conf"), HBA);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void openssl(Path directory, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Path output = directory.resolve("openssl.log");
        Process process;
        try {
            process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(output.toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("TlsPostgres makes its certificates with openssl, which did not run"
                    + " (is it on the PATH? apt-get install openssl)", e);
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("openssl " + String.join(" ", args) + " failed:\n" + read(output));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making test certificates", e);
        }
    }

    private static String secret() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return "pw+" + HexFormat.of().formatHex(bytes); // a '+' too: it must survive every URL on the way
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(nothing at " + file + ")";
        }
    }

    private static void delete(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: the OS cleans up what is left
        }
    }
}
