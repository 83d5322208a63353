package dev.muster.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
@TestMethodOrder(OrderAnnotation.class)
class RestartTest {

    private final PostgresServer server = PostgresServer.shared();

    @Test
    @Order(1)
    void stopBreaksConnectionsAndStartBringsTheSameDataBackOnTheSamePort(TestDatabase database) throws SQLException {
        assumeTrue(server.restartable(), "only the embedded server can be stopped");
        database.execute("CREATE TABLE survivor (id int); INSERT INTO survivor VALUES (42)");
        int port = server.port();

        try (Connection open = database.connect()) {
            server.stop();
            assertThrows(SQLException.class, () -> open.createStatement().execute("SELECT 1"));
            assertThrows(SQLException.class, database::connect);
        } finally {
            server.start();
        }

        assertEquals(port, server.port());
        assertEquals(42, database.queryLong("SELECT id FROM survivor"));
    }

    @Test
    @Order(2)
    void aFaultTestMayFailBeforeStartingTheServerAgain(TestDatabase database) {
        assumeTrue(server.restartable(), "only the embedded server can be stopped");
        server.stop();
    }

    @Test
    @Order(3)
    void theExtensionHasStartedItAgainForTheNextTest(TestDatabase database) {
        assertEquals(1, database.queryLong("SELECT 1"));
    }

    @Test
    void otherServersRefuseToStop() {
        assumeTrue(!server.restartable());
        assertThrows(UnsupportedOperationException.class, server::stop);
    }
}
