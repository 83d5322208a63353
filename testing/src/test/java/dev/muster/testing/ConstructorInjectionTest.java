package dev.muster.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class ConstructorInjectionTest {

    private static String previousTestsDatabase;

    private final TestDatabase fromConstructor;

    ConstructorInjectionTest(TestDatabase database) {
        fromConstructor = database;
    }

    @RepeatedTest(3)
    void eachTestGetsANewDatabaseThroughItsConstructorAndItIsDroppedAfterwards(TestDatabase database) {
        assertSame(fromConstructor, database);
        if (previousTestsDatabase != null) {
            assertNotEquals(previousTestsDatabase, database.name());
            assertEquals(0, database.queryLong("SELECT count(*) FROM pg_database WHERE datname = ?",
                    previousTestsDatabase));
        }
        previousTestsDatabase = database.name();
    }
}
