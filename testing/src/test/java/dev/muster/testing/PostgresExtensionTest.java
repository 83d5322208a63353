package dev.muster.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** The order matters here: each test looks at what the one before it left behind. */
@ExtendWith(PostgresExtension.class)
@TestMethodOrder(OrderAnnotation.class)
class PostgresExtensionTest {

    private static String previousTestsDatabase;

    private TestDatabase fromBeforeEach;

    @BeforeEach
    void remember(TestDatabase database) {
        fromBeforeEach = database;
    }

    @Test
    @Order(1)
    void aTestGetsAnEmptyDatabaseOfItsOwnAndMayCreateTables(TestDatabase database) {
        assertEquals(0, userTables(database));
        database.execute("CREATE TABLE left_behind (id int); INSERT INTO left_behind VALUES (1)");
        assertEquals(1, database.queryLong("SELECT count(*) FROM left_behind"));
        previousTestsDatabase = database.name();
    }

    @Test
    @Order(2)
    void theNextTestGetsADifferentDatabaseWithoutThoseTables(TestDatabase database) {
        assertNotEquals(previousTestsDatabase, database.name());
        assertEquals(0, userTables(database));
        previousTestsDatabase = database.name();
    }

    @Test
    @Order(3)
    void theDatabaseOfAFinishedTestIsDropped(TestDatabase database) {
        assertEquals(0, database.queryLong(
                "SELECT count(*) FROM pg_database WHERE datname = ?", previousTestsDatabase));
    }

    @Test
    void beforeEachAndTheTestGetTheSameDatabase(TestDatabase database) {
        assertSame(fromBeforeEach, database);
    }

    private static long userTables(TestDatabase database) {
        return database.queryLong(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
    }
}
