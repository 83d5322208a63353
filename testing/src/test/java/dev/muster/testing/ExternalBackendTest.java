package dev.muster.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ExternalBackendTest {

    @Test
    void readsAPostgresqlUrl() {
        assertEquals(new ExternalBackend("db.test", 6543, "ci", "secret", "admin"),
                ExternalBackend.parse("postgresql://ci:secret@db.test:6543/admin"));
    }

    @Test
    void readsThePostgresSchemeAndDefaultsPortAndDatabaseAsLibpqDoes() {
        assertEquals(new ExternalBackend("db.test", 5432, "ci", "", "ci"),
                ExternalBackend.parse("postgres://ci@db.test"));
    }

    @Test
    void readsAPlusInAPasswordAsTheOrchestratorDoes() {
        assertEquals("p+w", ExternalBackend.parse("postgresql://ci:p+w@db.test/admin").password());
    }

    @Test
    void readsAJdbcUrlWithCredentialsInItsParameters() {
        assertEquals(new ExternalBackend("localhost", 5433, "ci", "p+w=d", "admin"),
                ExternalBackend.parse("jdbc:postgresql://localhost:5433/admin?user=ci&password=p%2Bw%3Dd"));
    }

    @Test
    void readsBackTheUrlOfATestDatabaseWithAwkwardCredentials() {
        TestDatabase database = new TestDatabase("muster_t_1", "localhost", 5432, "us er", "p@ss:w/rd+%");
        assertEquals(new ExternalBackend("localhost", 5432, "us er", "p@ss:w/rd+%", "muster_t_1"),
                ExternalBackend.parse(database.url()));
    }

    @Test
    void rejectsOtherUrlsWithoutQuotingThePassword() {
        for (String url : new String[] {"mysql://ci:hunter2@db.test/x", "postgresql://db.test/x?password=hunter2",
                "postgresql://ci:hunter2@db.test/x?sslmdoe=require", "postgresql://ci:hun%zzter2@db.test/x"}) {
            var error = assertThrows(IllegalArgumentException.class, () -> ExternalBackend.parse(url));
            assertFalse(error.getMessage().contains("hunter2"), error.getMessage());
        }
    }
}
