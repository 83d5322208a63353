package dev.muster.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The TLS-only server: encrypted sessions with a password or a client certificate, and nothing in plain text. */
class TlsPostgresTest {
    private static TlsPostgres tls;

    @BeforeAll
    static void start() {
        tls = TlsPostgres.start();
    }

    @AfterAll
    static void stop() {
        tls.close();
    }

    private static boolean encrypted(String jdbcUrl, Properties properties) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, properties);
                ResultSet rs = c.createStatement().executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static Properties login(String user, String password) {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) p.setProperty("password", password);
        return p;
    }

    @Test
    void aPasswordOverVerifiedTlsGetsAnEncryptedSession() throws SQLException {
        TestDatabase db = tls.createDatabase();
        assertTrue(encrypted(db.jdbcUrl() + "?sslmode=verify-full&sslrootcert=" + tls.ca(),
                login(TlsPostgres.USER, tls.password())));
        assertEquals(1, db.queryLong("SELECT 1"), "the fixture's own helpers work here too");
    }

    @Test
    void plainTextIsRefused() {
        TestDatabase db = tls.createDatabase();
        SQLException e = assertThrows(SQLException.class,
                () -> encrypted(db.jdbcUrl() + "?sslmode=disable", login(TlsPostgres.USER, tls.password())));
        assertTrue(e.getMessage().contains("no encryption"), e.getMessage());
    }

    @Test
    void theCertificateUserLogsInWithItsClientCertificate() throws SQLException {
        TestDatabase db = tls.createDatabase();
        String url = db.jdbcUrl() + "?sslmode=verify-full&sslrootcert=" + tls.ca();
        assertTrue(encrypted(url + "&sslcert=" + tls.clientCertificate() + "&sslkey=" + tls.clientKey(),
                login(TlsPostgres.CERT_USER, null)));
        assertThrows(SQLException.class, () -> encrypted(url + "&sslcert=&sslkey=", login(TlsPostgres.CERT_USER, null)));
    }

    @Test
    void theWrongCaIsNotTrusted() {
        TestDatabase db = tls.createDatabase();
        SQLException e = assertThrows(SQLException.class, () -> encrypted(db.jdbcUrl() + "?sslmode=verify-ca&sslrootcert="
                + tls.otherCa(), login(TlsPostgres.USER, tls.password())));
        assertTrue(e.getMessage().contains("PKIX") || String.valueOf(e.getCause()).contains("PKIX"), e.toString());
    }
}
