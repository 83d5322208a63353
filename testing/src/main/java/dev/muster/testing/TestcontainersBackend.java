package dev.muster.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * PostgreSQL 17 in a Docker container. Testcontainers is an optional dependency: only
 * {@link PostgresServer} names this class, in the branch that asked for it, so no other path loads it.
 */
final class TestcontainersBackend implements Backend {

    private final PostgreSQLContainer<?> container;

    private TestcontainersBackend(PostgreSQLContainer<?> container) {
        this.container = container;
    }

    static Backend open() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new IllegalStateException("-Dmuster.test.postgres=testcontainers needs a Docker engine, and"
                    + " Testcontainers found none. Unset that property to use the embedded PostgreSQL, which"
                    + " needs no Docker.");
        }
        PostgreSQLContainer<?> container = new PostgreSQLContainer<>("postgres:17").withCommand("postgres",
                "-c", "max_connections=300",
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off");
        container.start();
        return new TestcontainersBackend(container);
    }

    @Override
    public String kind() {
        return "testcontainers";
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT);
    }

    @Override
    public String user() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    public String adminDatabase() {
        return container.getDatabaseName();
    }

    @Override
    public void close() {
        container.stop();
    }
}
