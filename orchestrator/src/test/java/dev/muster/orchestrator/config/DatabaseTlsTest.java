package dev.muster.orchestrator.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.postgres.PostgresUrl;
import dev.muster.testing.PostgresServer;
import dev.muster.testing.TestDatabase;
import dev.muster.testing.TlsPostgres;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same URL gives the same connection on both of the orchestrator's drivers — pgjdbc (Flyway, the CLI) and
 * the Vert.x client (event log, listener, locks) — against a server that accepts only TLS: each sslmode
 * encrypts, verifies and refuses alike, and each refusal is explained naming the setting to change.
 */
class DatabaseTlsTest {
  private static TlsPostgres tls;
  private static TestDatabase db;
  private static Vertx vertx;

  /** Whether the session was encrypted, or why there was none. */
  record Outcome(Boolean encrypted, Throwable failure) {}

  @BeforeAll
  static void start() {
    tls = TlsPostgres.start();
    db = tls.createDatabase();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
    tls.close();
  }

  private static Outcome jdbc(DatabaseUrl url) {
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.jdbcProperties());
        ResultSet rs = c.createStatement().executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
      rs.next();
      return new Outcome(rs.getBoolean(1), null);
    } catch (Exception e) {
      return new Outcome(null, e);
    }
  }

  private static Outcome vertx(DatabaseUrl url) {
    try {
      PgConnection c = PgConnection.connect(vertx, url.connectOptions()).await();
      try {
        return new Outcome(c.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").execute().await()
            .iterator().next().getBoolean(0), null);
      } finally {
        c.close().await();
      }
    } catch (Exception e) {
      return new Outcome(null, e);
    }
  }

  private static DatabaseUrl url(TestDatabase database, String parameters) {
    return DatabaseUrl.parse(tls.url(database, parameters));
  }

  private static void bothEncrypted(DatabaseUrl url) {
    for (Outcome o : new Outcome[] {jdbc(url), vertx(url)}) {
      assertNull(o.failure(), () -> url + ": " + o.failure());
      assertTrue(o.encrypted(), url.toString());
    }
  }

  /** Both drivers fail, and what each says is explained with {@code expected} in it. */
  private static void bothRefused(DatabaseUrl url, String expected) {
    bothRefused(url, expected, expected);
  }

  /**
   * Vert.x reports a refused certificate only as "SSL handshake failed": its explanation names what to check,
   * pgjdbc's (which the commands' start-up check sees first) the exact problem.
   */
  private static void bothRefused(DatabaseUrl url, String fromPgjdbc, String fromVertx) {
    Map<String, Outcome> outcomes = Map.of("pgjdbc", jdbc(url), "vertx", vertx(url));
    outcomes.forEach((driver, o) -> {
      assertNotNull(o.failure(), driver + " connected with " + url);
      String explained = url.explain(o.failure()).orElse(null);
      assertNotNull(explained, () -> driver + ": no explanation for " + o.failure());
      assertTrue(explained.contains(driver.equals("pgjdbc") ? fromPgjdbc : fromVertx), driver + ": " + explained);
      assertFalse(explained.contains(tls.password()), explained);
    });
  }

  @Test
  void everyModeThatEncryptsDoesSoOnBothDrivers() {
    String ca = "&sslrootcert=" + tls.ca();
    for (String mode : new String[] {"allow", "prefer", "require"}) bothEncrypted(url(db, "sslmode=" + mode));
    for (String mode : new String[] {"require", "verify-ca", "verify-full"}) bothEncrypted(url(db, "sslmode=" + mode + ca));
    bothEncrypted(url(db, "")); // libpq's default, prefer, finds TLS here
  }

  @Test
  void aClientCertificateLogsInOnBothDrivers() {
    String certUser = at(tls.host(), TlsPostgres.CERT_USER, "") + "?sslmode=verify-full&sslrootcert=" + tls.ca();
    bothEncrypted(DatabaseUrl.parse(certUser + "&sslcert=" + tls.clientCertificate() + "&sslkey=" + tls.clientKey()));
    bothRefused(DatabaseUrl.parse(certUser), "client certificate");
  }

  @Test
  void aCertificateFromAnotherCaIsRefusedOnBothDrivers() {
    String other = "&sslrootcert=" + tls.otherCa();
    String checkTheCa = "check that sslrootcert (" + tls.otherCa() + ") holds the CA";
    bothRefused(url(db, "sslmode=verify-full" + other), "not signed by a CA in sslrootcert (" + tls.otherCa() + ")",
        checkTheCa);
    bothRefused(url(db, "sslmode=verify-ca" + other), "MUSTER_DATABASE_SSLROOTCERT");
    // libpq's reading: require with a root certificate checks the CA; pgjdbc's own would not have.
    bothRefused(url(db, "sslmode=require" + other), "not signed by a CA", checkTheCa);
  }

  @Test
  void aHostNameTheCertificateDoesNotNameIsRefusedByVerifyFullOnly() {
    String byAddress = at("127.0.0.1", db.user(), db.password()) + "?sslrootcert=" + tls.ca();
    bothRefused(DatabaseUrl.parse(byAddress + "&sslmode=verify-full"), "does not name host '127.0.0.1'",
        "names host '127.0.0.1'");
    bothEncrypted(DatabaseUrl.parse(byAddress + "&sslmode=verify-ca"));
  }

  @Test
  void plainTextToTheTlsOnlyServerIsRefusedOnBothDrivers() {
    bothRefused(url(db, "sslmode=disable"), "accepts only encrypted connections");
  }

  @Test
  void requireToAServerWithoutTlsIsRefusedOnBothDriversNeverPlainText() {
    TestDatabase plain = PostgresServer.shared().createDatabase();
    try {
      bothRefused(DatabaseUrl.parse(plain.url() + "?sslmode=require"), "does not offer TLS");
      DatabaseUrl prefer = DatabaseUrl.parse(plain.url());
      for (Outcome o : new Outcome[] {jdbc(prefer), vertx(prefer)}) assertFalse(o.encrypted(), "prefer falls back");
    } finally {
      PostgresServer.shared().dropDatabase(plain);
    }
  }

  /** The test database's URL by another host name or as another user, without parameters. */
  private static String at(String host, String user, String password) {
    return PostgresUrl.of(host, tls.port(), db.name(), user, password).uri();
  }
}
