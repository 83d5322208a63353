package dev.muster.testing;

import dev.muster.postgres.PostgresUrl;

/**
 * A server someone else runs, named by {@code MUSTER_TEST_DATABASE_URL}, read as Muster reads every database
 * URL ({@link PostgresUrl}): so a URL that works for the tests works for the orchestrator and the other way round.
 */
record ExternalBackend(String host, int port, String user, String password, String adminDatabase)
        implements Backend {

    private static final String SOURCE = "MUSTER_TEST_DATABASE_URL (or -Dmuster.test.database.url)";

    @Override
    public String kind() {
        return "external";
    }

    @Override
    public String toString() {
        return "ExternalBackend[" + user + "@" + host + ":" + port + "/" + adminDatabase + "]"; // no password
    }

    /**
     * Accepts {@code postgresql://user:password@host:5432/db}, {@code postgres://…} or
     * {@code jdbc:postgresql://host:5432/db?user=…&password=…}. The port defaults to 5432 and the database, as
     * in libpq, to the user's name. The tests connect in plain text: the fixture's own TLS server
     * ({@link TlsPostgres}) is where TLS is tested. Error messages never repeat the URL, which holds a password.
     */
    static ExternalBackend parse(String url) {
        PostgresUrl parsed = PostgresUrl.parse(url, SOURCE);
        return new ExternalBackend(parsed.host(), parsed.port(), parsed.user(), parsed.password(), parsed.database());
    }
}
