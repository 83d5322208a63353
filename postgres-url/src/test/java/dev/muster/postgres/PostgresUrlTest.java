package dev.muster.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverPropertyInfo;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.Driver;

class PostgresUrlTest {
  private static final String SOURCE = "MUSTER_DATABASE_URL";

  private static PostgresUrl parse(String url) {
    return PostgresUrl.parse(url, SOURCE);
  }

  /** What pgjdbc itself makes of our JDBC URL and properties: the proof that nothing is lost on the way. */
  private static Map<String, String> driverView(PostgresUrl url) throws Exception {
    DriverPropertyInfo[] info = new Driver().getPropertyInfo(url.jdbcUrl(), url.jdbcProperties());
    return Arrays.stream(info).filter(i -> i.value != null)
        .collect(Collectors.toMap(i -> i.name, i -> i.value));
  }

  @Test
  void bothFormsGiveTheSameConnection() throws Exception {
    PostgresUrl libpq = parse("postgresql://muster:s%40cret@db.internal:6543/fleet?sslmode=require"
        + "&application_name=muster&connect_timeout=5");
    PostgresUrl jdbc = parse("jdbc:postgresql://db.internal:6543/fleet?user=muster&password=s%40cret&sslmode=require"
        + "&ApplicationName=muster&connectTimeout=5");
    assertEquals(libpq, jdbc);
    assertEquals("db.internal", libpq.host());
    assertEquals(6543, libpq.port());
    assertEquals("fleet", libpq.database());
    assertEquals("muster", libpq.user());
    assertEquals("s@cret", libpq.password());
    assertEquals(SslMode.REQUIRE, libpq.sslMode());
    Map<String, String> driver = driverView(libpq);
    assertEquals("require", driver.get("sslmode"));
    assertEquals("muster", driver.get("ApplicationName"));
    assertEquals("5", driver.get("connectTimeout"));
    assertEquals("db.internal", driver.get("PGHOST"));
    assertEquals("fleet", driver.get("PGDBNAME"));
    assertEquals("s@cret", driver.get("password"));
    assertFalse(libpq.jdbcUrl().contains("cret"), "the JDBC URL carries no password: " + libpq.jdbcUrl());
  }

  @Test
  void aPlusInAPasswordIsAPlusInTheLibpqFormAndPgjdbcsSpaceInTheJdbcForm() {
    assertEquals("a+b c", parse("postgresql://u:a+b%20c@h/d").password());
    assertEquals("a+b", parse("postgresql://h/d?user=u&password=a+b").password());
    assertEquals("a b", parse("jdbc:postgresql://h/d?user=u&password=a+b").password(), "pgjdbc's own decoding");
    assertEquals("a+b", parse("jdbc:postgresql://h/d?user=u&password=a%2Bb").password());
  }

  @Test
  void theLibpqFormRoundTripsAwkwardCredentials() {
    PostgresUrl url = PostgresUrl.of("localhost", 5432, "muster_t_1", "us er", "p@ss:w/rd+%&?#");
    PostgresUrl back = parse(url.uri());
    assertEquals("us er", back.user());
    assertEquals("p@ss:w/rd+%&?#", back.password());
    assertEquals("muster_t_1", back.database());
    assertEquals(url, back);
  }

  @Test
  void defaultsAreLibpqs() {
    PostgresUrl url = parse("postgres://ci@db_1");
    assertEquals("db_1", url.host(), "compose service names have underscores");
    assertEquals(5432, url.port());
    assertEquals("ci", url.database(), "the user's name, as libpq and the server have it");
    assertEquals("", url.password());
    assertEquals(SslMode.PREFER, url.sslMode());
    assertEquals("[::1]", parse("postgresql://u@[::1]:5433/d").jdbcUrl().replaceAll("^jdbc:postgresql://(\\[::1]).*", "$1"));
  }

  @Test
  void requireWithARootCertificateVerifiesTheCaAsLibpqDoes(@TempDir Path dir) {
    PostgresUrl url = parse("postgresql://u@h/d?sslmode=require&sslrootcert=" + dir.resolve("ca.pem"));
    assertEquals(SslMode.VERIFY_CA, url.sslMode());
    assertTrue(url.jdbcUrl().contains("sslmode=verify-ca"), url.jdbcUrl());
    assertEquals(SslMode.REQUIRE, parse("postgresql://u@h/d?sslmode=require").sslMode());
  }

  @Test
  void pgjdbcsSslSwitchMeansWhatItMeansToPgjdbc(@TempDir Path dir) {
    String ca = "&sslrootcert=" + dir.resolve("ca.pem");
    assertEquals(SslMode.VERIFY_FULL, parse("jdbc:postgresql://h/d?user=u&ssl=true" + ca).sslMode());
    assertEquals(SslMode.PREFER, parse("jdbc:postgresql://h/d?user=u&ssl=false").sslMode());
    assertEquals(SslMode.DISABLE, parse("jdbc:postgresql://h/d?user=u&ssl=true&sslmode=disable").sslMode());
  }

  @Test
  void theTlsSettingsWinOverTheUrl(@TempDir Path dir) {
    PostgresUrl url = PostgresUrl.parse("postgresql://u:old@h/d?sslmode=disable", SOURCE,
        Map.of("sslmode", "verify-full", "sslrootcert", dir.resolve("ca.pem").toString(), "password", "new"),
        "MUSTER_DATABASE_");
    assertEquals(SslMode.VERIFY_FULL, url.sslMode());
    assertEquals("new", url.password());
    assertTrue(url.toString().startsWith("postgresql://u@h:5432/d?sslmode=verify-full&sslrootcert="), url.toString());
  }

  @Test
  void systemRootsNeedVerifyFullAndUseTheJvmsTrustStore() {
    PostgresUrl url = parse("postgresql://u@h/d?sslrootcert=system");
    assertEquals(SslMode.VERIFY_FULL, url.sslMode(), "libpq's default with sslrootcert=system");
    assertTrue(url.jdbcUrl().contains("sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory"), url.jdbcUrl());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> parse("postgresql://u@h/d?sslrootcert=system&sslmode=require")).getMessage().contains("verify-full"));
  }

  @Test
  void mistakesAreRefusedNamingTheSettingNeverThePassword() {
    Map<String, String> expected = Map.of(
        "mysql://root:hunter2@localhost/db", "must start with",
        "postgresql://root:hunter2@localhost/db?sslmdoe=require", "'sslmdoe'",
        "postgresql://root:hunter2@localhost/db?sslmode=verify-full", "sslrootcert",
        "postgresql://root:hunter2@localhost/db?sslmode=sometimes", "sslmode must be one of",
        "postgresql://root:hunter2@localhost/db?sslfactory=x.Y", "sets TLS up itself",
        "postgresql://root:hun%zzter2@localhost/db", "percent-encoded",
        "postgresql://:hunter2@localhost/db", "no user",
        "jdbc:postgresql://root:hunter2@localhost/db", "?user=",
        "postgresql://root:hunter2@a,b/db", "several hosts",
        "postgresql://root:hunter2@localhost:99999/db", "port");
    expected.forEach((url, why) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(url), url);
      assertTrue(e.getMessage().contains(why), url + " -> " + e.getMessage());
      assertTrue(e.getMessage().contains(SOURCE), e.getMessage());
      assertFalse(e.getMessage().contains("hunter2") || e.getMessage().contains("hun%zz"), e.getMessage());
    });
  }

  @Test
  void logsSeeTheModeButNotThePassword() {
    PostgresUrl url = parse("postgresql://muster:hunter2@db:5432/fleet?sslmode=require");
    assertEquals("postgresql://muster@db:5432/fleet?sslmode=require", url.toString());
    assertEquals("postgresql://muster@db:5432/fleet?sslmode=prefer", parse("postgresql://muster:x@db/fleet").toString());
    assertTrue(url.uri().contains("hunter2"), "uri() is for child processes' environment");
  }

  @Test
  void tlsFilesAreCheckedAtStart(@TempDir Path dir) throws Exception {
    Path notACert = Files.writeString(dir.resolve("ca.pem"), "hello");
    PostgresUrl url = PostgresUrl.parse("postgresql://u@h/d?sslmode=verify-full&sslrootcert=" + notACert, SOURCE,
        Map.of(), "MUSTER_DATABASE_");
    String message = assertThrows(IllegalArgumentException.class, url::checkFiles).getMessage();
    assertTrue(message.contains("MUSTER_DATABASE_SSLROOTCERT") && message.contains("no PEM certificate"), message);
    PostgresUrl missing = parse("postgresql://u@h/d?sslmode=verify-ca&sslrootcert=" + dir.resolve("nope.pem"));
    assertTrue(assertThrows(IllegalArgumentException.class, missing::checkFiles).getMessage().contains("cannot be read"));
  }

  @Test
  void failuresASettingCanMendAreExplained() {
    PostgresUrl url = PostgresUrl.parse("postgresql://u:hunter2@db:5432/d?sslmode=verify-full&sslrootcert=/ca.pem",
        SOURCE, Map.of(), "MUSTER_DATABASE_");
    String wrongCa = url.explain(new RuntimeException("connect failed", new SSLHandshakeException(
        "PKIX path building failed: unable to find valid certification path to requested target"))).orElseThrow();
    assertTrue(wrongCa.contains("not signed by a CA in sslrootcert (/ca.pem)"), wrongCa);
    assertTrue(wrongCa.contains("MUSTER_DATABASE_SSLROOTCERT"), wrongCa);
    String wrongHost = url.explain(new SSLHandshakeException("No subject alternative DNS name matching db found."))
        .orElseThrow();
    assertTrue(wrongHost.contains("does not name host 'db'") && wrongHost.contains("verify-ca"), wrongHost);
    assertTrue(url.explain(new java.net.ConnectException("Connection refused")).isEmpty());
  }
}
