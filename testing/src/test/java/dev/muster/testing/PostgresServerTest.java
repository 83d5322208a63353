package dev.muster.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** PostgresServer used from plain code, without the extension. */
class PostgresServerTest {

    private final PostgresServer server = PostgresServer.shared();

    @Test
    void twentyThreadsCanCreateDatabasesAtOnce() throws Exception {
        int threads = 20;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<TestDatabase>> created = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            created.add(pool.submit(() -> {
                go.await();
                return server.createDatabase();
            }));
        }
        go.countDown();
        List<TestDatabase> databases = new ArrayList<>();
        try {
            for (Future<TestDatabase> database : created) {
                databases.add(database.get());
            }
        } finally {
            pool.shutdown();
            databases.forEach(server::dropDatabase);
        }
        assertEquals(threads, databases.stream().map(TestDatabase::name).distinct().count());
    }

    @Test
    void aDatabaseIsReachableThroughItsJdbcUrlAndCredentials() throws SQLException {
        TestDatabase database = server.createDatabase();
        try (Connection connection = database.connect()) {
            assertEquals(database.jdbcUrl(), connection.getMetaData().getURL());
            assertEquals(database.name(), connection.getCatalog());
        } finally {
            server.dropDatabase(database);
        }
    }

    @Test
    void droppingADatabaseEndsSessionsStillConnectedToIt() throws SQLException {
        TestDatabase database = server.createDatabase();
        try (Connection forgotten = database.connect()) {
            server.dropDatabase(database);
            assertThrows(SQLException.class, () -> forgotten.createStatement().execute("SELECT 1"));
        }
        TestDatabase other = server.createDatabase();
        try {
            assertEquals(0, other.queryLong("SELECT count(*) FROM pg_database WHERE datname = ?", database.name()));
        } finally {
            server.dropDatabase(other);
        }
    }

    @Test
    void queryReturnsRowsAsMapsInColumnOrder() {
        TestDatabase database = server.createDatabase();
        try {
            database.execute("CREATE TABLE t (id int, name text)");
            database.execute("INSERT INTO t VALUES (?, ?), (?, ?)", 1, "one", 2, null);
            var rows = database.query("SELECT id, name FROM t ORDER BY id");
            assertEquals(2, rows.size());
            assertEquals(List.of("id", "name"), List.copyOf(rows.get(0).keySet()));
            assertEquals(1, rows.get(0).get("id"));
            assertEquals("one", rows.get(0).get("name"));
            assertTrue(rows.get(1).containsKey("name"));
            assertNull(rows.get(1).get("name"));
        } finally {
            server.dropDatabase(database);
        }
    }

    @Test
    void sqlErrorsNameTheStatement() {
        TestDatabase database = server.createDatabase();
        try {
            var error = assertThrows(IllegalStateException.class, () -> database.queryLong("SELECT * FROM missing"));
            assertTrue(error.getMessage().contains("SELECT * FROM missing"), error.getMessage());
            assertThrows(IllegalStateException.class, () -> database.queryLong("SELECT 1 AS one, 2 AS two"));
        } finally {
            server.dropDatabase(database);
        }
    }

    @Test
    void nothingCanConnectToTheTemplate() {
        var template = new TestDatabase(PostgresServer.TEMPLATE, server.host(), server.port(), server.user(),
                server.password());
        var error = assertThrows(SQLException.class, template::connect);
        assertTrue(error.getMessage().contains("not currently accepting connections"), error.getMessage());
    }
}
