package dev.muster.testing;

/** One kind of PostgreSQL server behind {@link PostgresServer}: where it is and how to log in as admin. */
interface Backend {

    /** "embedded", "external" or "testcontainers". */
    String kind();

    String host();

    int port();

    String user();

    /** Empty when the server trusts the user. */
    String password();

    /** An existing database for the admin connection that creates and drops the per-test ones. */
    String adminDatabase();

    default boolean restartable() {
        return false;
    }

    default void stop() {
        throw notRestartable();
    }

    default void start() {
        throw notRestartable();
    }

    /** Releases the server when the JVM exits. */
    default void close() {
    }

    private UnsupportedOperationException notRestartable() {
        return new UnsupportedOperationException("Only the embedded PostgreSQL can be stopped and started, but this JVM"
                + " uses the " + kind() + " one. Guard fault tests with"
                + " Assumptions.assumeTrue(PostgresServer.shared().restartable()).");
    }
}
