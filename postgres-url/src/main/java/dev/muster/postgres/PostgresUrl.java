package dev.muster.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SortedMap;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.postgresql.Driver;
import org.postgresql.PGProperty;
import org.postgresql.util.PSQLException;

/**
 * One PostgreSQL database to connect to, read from a URL in libpq's form
 * ({@code postgresql://user:password@host:port/db?sslmode=verify-full&sslrootcert=/ca.pem}, also
 * {@code postgres://}) or pgjdbc's ({@code jdbc:postgresql://host:port/db?user=…&password=…&sslmode=…}).
 * Immutable.
 *
 * <p>Muster connects with two drivers, pgjdbc (Flyway, the CLI, the sample services) and the Vert.x client
 * (the orchestrator's event log, listener and locks); this is the one reading both are configured from, so
 * the same URL gives the same connection, TLS included, in every component:
 * <ul>
 *   <li>Parameters are kept under pgjdbc's names ({@link PGProperty}): libpq's spellings
 *       ({@code application_name}, {@code connect_timeout}, {@code dbname}, …) are translated, a parameter
 *       neither knows is refused rather than dropped, and so are those that set TLS up in a way only one of the
 *       two drivers could follow ({@code sslfactory}, {@code sslpassword}, …).</li>
 *   <li>{@code sslmode} has libpq's meaning on both drivers, and libpq's default, {@code prefer}. As in libpq,
 *       {@code require} with an {@code sslrootcert} verifies the CA ({@code verify-ca}); pgjdbc alone would
 *       not. {@code sslrootcert=system} is the JVM's trusted roots and needs {@code verify-full}, as libpq's
 *       {@code system} does. Files are named explicitly: {@code ~/.postgresql} is never searched.</li>
 *   <li>Percent-decoding in the {@code postgresql://} form is RFC 3986's, as libpq's: {@code +} is a plus sign
 *       (a password {@code a+b} is written {@code a+b}). In the {@code jdbc:} form it is pgjdbc's own
 *       ({@code +} is a space there; write {@code %2B}).</li>
 * </ul>
 *
 * <p>Vert.x's {@code PgConnectOptions.fromUri} is not the parser here: it reads {@code +} as a space, refuses
 * {@code +} in a password, repeats the URL (password and all) in its error, and drops {@code sslrootcert},
 * {@code sslcert} and {@code sslkey}. No message of this class quotes the URL or the password.
 */
public final class PostgresUrl {
  public static final int DEFAULT_PORT = 5432;
  /** {@code sslrootcert=system}: the JVM's trusted root certificates instead of a file. */
  public static final String SYSTEM_ROOTS = "system";

  /** libpq's name → pgjdbc's, where they differ. */
  private static final Map<String, String> LIBPQ_NAMES = Map.of(
      "application_name", PGProperty.APPLICATION_NAME.getName(),
      "connect_timeout", PGProperty.CONNECT_TIMEOUT.getName(),
      "dbname", PGProperty.PG_DBNAME.getName(),
      "host", PGProperty.PG_HOST.getName(),
      "port", PGProperty.PG_PORT.getName());
  /** pgjdbc's name → libpq's, for {@link #uri()}. */
  private static final Map<String, String> PGJDBC_NAMES = LIBPQ_NAMES.entrySet().stream()
      .collect(Collectors.toUnmodifiableMap(Map.Entry::getValue, Map.Entry::getKey));
  /** Parameters that set TLS or the route up in a way only pgjdbc could follow: the Vert.x client would not. */
  private static final Set<String> REFUSED = Set.of(PGProperty.SSL_FACTORY.getName(),
      "sslfactoryarg", PGProperty.SSL_HOSTNAME_VERIFIER.getName(),
      PGProperty.SSL_PASSWORD.getName(), PGProperty.SSL_PASSWORD_CALLBACK.getName(),
      PGProperty.SSL_NEGOTIATION.getName(), PGProperty.SOCKET_FACTORY.getName(), "socketFactoryArg",
      PGProperty.SERVICE.getName());
  /** The TLS parameters, also settable one by one (e.g. {@code MUSTER_DATABASE_SSLROOTCERT}). */
  public static final Set<String> TLS_PARAMETERS = Set.of("sslmode", "sslrootcert", "sslcert", "sslkey");
  /** Kept in their own fields, never among {@link #parameters()}. */
  private static final Set<String> STRUCTURAL = Set.of(PGProperty.PG_HOST.getName(), PGProperty.PG_PORT.getName(),
      PGProperty.PG_DBNAME.getName(), PGProperty.USER.getName(), PGProperty.PASSWORD.getName(),
      PGProperty.SSL.getName());
  private static final String SYSTEM_SSL_FACTORY = "org.postgresql.ssl.DefaultJavaSSLFactory";

  private final String source;
  private final String prefix;
  private final String host;
  private final int port;
  private final String database;
  private final String user;
  private final String password;
  private final SortedMap<String, String> parameters;
  private final SslMode sslMode;

  private PostgresUrl(String source, String prefix, String host, int port, String database, String user,
      String password, Map<String, String> parameters) {
    this.source = source;
    this.prefix = prefix;
    this.host = host;
    this.port = port;
    this.database = database;
    this.user = user;
    this.password = password;
    this.parameters = Collections.unmodifiableSortedMap(new TreeMap<>(parameters));
    this.sslMode = effectiveSslMode();
  }

  /**
   * Reads a URL.
   *
   * @param source the setting it came from ({@code MUSTER_DATABASE_URL}), named in every error
   * @throws IllegalArgumentException saying what is wrong, never quoting the URL (it may hold a password)
   */
  public static PostgresUrl parse(String text, String source) {
    return parse(text, source, Map.of(), null);
  }

  /**
   * Reads a URL, then sets parameters given one by one, which win over the URL's: {@code password},
   * {@code sslmode}, {@code sslrootcert}, {@code sslcert}, {@code sslkey}.
   *
   * @param prefix how the settings for single parameters are named ({@code MUSTER_DATABASE_} for
   *     {@code MUSTER_DATABASE_SSLMODE}), named in error messages; or {@code null} when there are none
   */
  public static PostgresUrl parse(String text, String source, Map<String, String> overrides, String prefix) {
    Objects.requireNonNull(source, "source");
    if (text == null || text.isBlank()) throw new IllegalArgumentException(source + " is empty");
    String url = text.strip();
    Parts parts;
    if (url.startsWith("jdbc:postgresql:")) {
      parts = jdbcParts(url, source);
    } else if (url.startsWith("postgresql://") || url.startsWith("postgres://")) {
      parts = libpqParts(url, source);
    } else {
      throw new IllegalArgumentException(source + " must start with postgresql://, postgres:// or jdbc:postgresql: "
          + "(it is not repeated here: it may hold a password)");
    }
    for (Map.Entry<String, String> o : overrides.entrySet()) {
      if (o.getValue() != null) parts.put(o.getKey(), o.getValue());
    }
    return parts.build(source, prefix);
  }

  /** A URL from its parts, with no parameters: {@code sslmode} is libpq's default, {@code prefer}. */
  public static PostgresUrl of(String host, int port, String database, String user, String password) {
    Parts parts = new Parts("a database URL");
    parts.put("PGHOST", host);
    parts.put("PGPORT", Integer.toString(port));
    parts.put("PGDBNAME", database);
    parts.put("user", user);
    parts.put("password", password);
    return parts.build("a database URL", null);
  }

  /** A copy with one parameter (libpq's or pgjdbc's name) set, checked as if it had been in the URL. */
  public PostgresUrl with(String parameter, String value) {
    Parts parts = new Parts(source);
    parts.put("PGHOST", host);
    parts.put("PGPORT", Integer.toString(port));
    parts.put("PGDBNAME", database);
    parts.put("user", user);
    parts.put("password", password);
    parameters.forEach(parts::put);
    parts.put(parameter, value);
    return parts.build(source, prefix);
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** The database; libpq's default when the URL names none: the user's name. */
  public String database() {
    return database;
  }

  public String user() {
    return user;
  }

  /** Empty for none. */
  public String password() {
    return password;
  }

  /** The mode connections are made in: the URL's, with libpq's reading (see the class comment). */
  public SslMode sslMode() {
    return sslMode;
  }

  /** {@code sslrootcert}: a PEM file of CA certificates, or {@link #SYSTEM_ROOTS}. */
  public Optional<String> sslRootCert() {
    return Optional.ofNullable(parameters.get("sslrootcert"));
  }

  /** {@code sslcert}: the client's certificate (PEM), sent when the server asks for one. */
  public Optional<Path> sslCert() {
    return Optional.ofNullable(parameters.get("sslcert")).map(Path::of);
  }

  /** {@code sslkey}: the client certificate's private key (PEM, unencrypted). */
  public Optional<Path> sslKey() {
    return Optional.ofNullable(parameters.get("sslkey")).map(Path::of);
  }

  /** Every parameter besides host, port, database, user and password, under pgjdbc's names. */
  public SortedMap<String, String> parameters() {
    return parameters;
  }

  /**
   * {@code jdbc:postgresql://host:port/db?sslmode=…&…}: every parameter, TLS set up as {@link #sslMode()}
   * says, and no credentials (they go to the driver separately, so this can be logged).
   */
  public String jdbcUrl() {
    Map<String, String> jdbc = new LinkedHashMap<>();
    jdbc.put("sslmode", sslMode.libpqName());
    parameters.forEach((k, v) -> {
      if (!TLS_PARAMETERS.contains(k)) jdbc.put(k, v);
    });
    if (sslMode != SslMode.DISABLE) {
      String roots = parameters.get("sslrootcert");
      if (SYSTEM_ROOTS.equals(roots)) {
        jdbc.put(PGProperty.SSL_FACTORY.getName(), SYSTEM_SSL_FACTORY);
      } else if (roots != null) {
        jdbc.put("sslrootcert", roots);
      }
      // Empty means none: pgjdbc would otherwise offer ~/.postgresql/postgresql.crt, which Vert.x would not.
      jdbc.put("sslcert", parameters.getOrDefault("sslcert", ""));
      jdbc.put("sslkey", parameters.getOrDefault("sslkey", ""));
    }
    StringJoiner query = new StringJoiner("&", "?", "");
    jdbc.forEach((k, v) -> query.add(formEncode(k) + "=" + formEncode(v)));
    return "jdbc:postgresql://" + hostForUrl() + ":" + port + "/" + formEncode(database) + query;
  }

  /** {@code user} and, when there is one, {@code password}, for {@code DriverManager.getConnection(jdbcUrl(), …)}. */
  public Properties jdbcProperties() {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (!password.isEmpty()) p.setProperty("password", password);
    return p;
  }

  /**
   * This URL in libpq's form, password included: for a child process's environment, never for a log. Only
   * parameters that were given are written (libpq's names where libpq has one).
   */
  public String uri() {
    return libpqForm(true, false);
  }

  /** Where and how, for logs: the URL without its password, with the {@code sslmode} connections use. */
  @Override
  public String toString() {
    return libpqForm(false, true);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PostgresUrl other && uri().equals(other.uri());
  }

  @Override
  public int hashCode() {
    return uri().hashCode();
  }

  /**
   * Checks that the TLS files exist and hold what they should, so a mistake stops the start with a message
   * that names the setting instead of surfacing at the first connection.
   *
   * @throws IllegalArgumentException naming the setting and the file
   */
  public void checkFiles() {
    String roots = parameters.get("sslrootcert");
    if (roots != null && !roots.equals(SYSTEM_ROOTS)) requireCertificates("sslrootcert", roots);
    String cert = parameters.get("sslcert");
    if (cert != null) requireCertificates("sslcert", cert);
    String key = parameters.get("sslkey");
    if (key != null && !Files.isReadable(Path.of(key))) {
      throw new IllegalArgumentException(setting("sslkey") + " is " + key + ", which cannot be read");
    }
  }

  /**
   * What a failure to connect means, when it is one a setting can mend: a certificate the CA in
   * {@code sslrootcert} did not sign, a host name the certificate does not name, a server without TLS when
   * TLS is required, a server that refuses plain text, a wrong password. Works on either driver's exceptions.
   *
   * @return a message naming the problem and the setting to change, or empty for other failures
   */
  public Optional<String> explain(Throwable failure) {
    String text = causes(failure);
    String lower = text.toLowerCase(Locale.ROOT);
    String reason;
    if (lower.contains("certificateexpired") || lower.contains("certificate expired")) {
      reason = "the server's certificate has expired (or is not yet valid): renew it on the server";
    } else if (lower.contains("no subject alternative") || lower.contains("no name matching")
        || lower.contains("could not be verified by hostnameverifier")) {
      reason = "the server's certificate does not name host '" + host + "', which sslmode=verify-full requires: "
          + "connect by a name in the certificate's subjectAltName (" + setting("host") + "), or check only the "
          + "CA with sslmode=verify-ca (" + setting("sslmode") + ")";
    } else if (lower.contains("pkix path") || lower.contains("valid certification path")
        || lower.contains("does not chain") || lower.contains("signature check failed")
        || lower.contains("certpathvalidator")) {
      String roots = parameters.get("sslrootcert");
      reason = "the server's certificate is not signed by a CA in sslrootcert ("
          + (SYSTEM_ROOTS.equals(roots) ? "the JVM's trusted roots" : roots) + "): set " + setting("sslrootcert")
          + " to the certificate of the CA that signed the server's certificate";
    } else if (lower.contains("does not handle ssl") || lower.contains("does not support ssl")) {
      reason = "the server does not offer TLS, but sslmode=" + sslMode + " requires it: turn ssl on in the "
          + "server, or change " + setting("sslmode");
    } else if (lower.contains("no encryption")) {
      reason = "the server accepts only encrypted connections (pg_hba.conf rejects this one: no encryption), but "
          + "sslmode=" + sslMode + " did not encrypt it: set " + setting("sslmode") + " to require or stronger";
    } else if (lower.contains("requires a valid client certificate") || lower.contains("certificate authentication")) {
      reason = "the server wants a client certificate it trusts: set " + setting("sslcert") + " and "
          + setting("sslkey");
    } else if (lower.contains("password authentication failed") || lower.contains("no password was provided")
        || lower.contains("password is an empty string")) {
      reason = "the server refused the password of user '" + user + "': check the password in " + source
          + (prefix == null ? "" : " or " + prefix + "PASSWORD_FILE");
    } else if (lower.contains("sslexception") || lower.contains("ssl error") || lower.contains("handshake")) {
      // Vert.x reports a refused certificate only as "SSL handshake failed", without the cause.
      reason = !sslMode.verifiesCertificate() ? "the TLS handshake failed; check " + setting("sslmode")
          : "the TLS handshake failed, most likely on the server's certificate: check that sslrootcert ("
              + parameters.get("sslrootcert") + ") holds the CA that signed it"
              + (sslMode == SslMode.VERIFY_FULL ? " and that the certificate names host '" + host + "'" : "")
              + " (" + setting("sslrootcert") + ", " + setting("sslmode") + ")";
    } else {
      return Optional.empty();
    }
    return Optional.of("cannot connect to PostgreSQL at " + hostForUrl() + ":" + port + " as " + user + " (sslmode="
        + sslMode + "): " + reason + " [" + rootMessage(failure) + "]");
  }

  /** How to set {@code parameter}: {@code MUSTER_DATABASE_SSLROOTCERT or ?sslrootcert= in MUSTER_DATABASE_URL}. */
  private String setting(String parameter) {
    String inUrl = "?" + parameter + "= in " + source;
    if (parameter.equals("host")) return "the host in " + source;
    return prefix == null || !TLS_PARAMETERS.contains(parameter) ? inUrl
        : prefix + parameter.toUpperCase(Locale.ROOT) + " or " + inUrl;
  }

  private SslMode effectiveSslMode() {
    String roots = parameters.get("sslrootcert");
    String given = parameters.get("sslmode");
    SslMode mode;
    try {
      mode = given == null ? (SYSTEM_ROOTS.equals(roots) ? SslMode.VERIFY_FULL : SslMode.PREFER) : SslMode.of(given);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(setting("sslmode") + ": " + e.getMessage(), e);
    }
    if (SYSTEM_ROOTS.equals(roots) && mode != SslMode.VERIFY_FULL) {
      // libpq: the system's roots vouch for any name they signed, so only the host name check makes them safe.
      throw new IllegalArgumentException("sslrootcert=system needs sslmode=verify-full, as in libpq; it was "
          + mode + " (" + setting("sslmode") + ")");
    }
    if (SYSTEM_ROOTS.equals(roots) && parameters.containsKey("sslcert")) {
      throw new IllegalArgumentException("sslrootcert=system cannot be combined with a client certificate (sslcert); "
          + "name the CA file in " + setting("sslrootcert") + " instead");
    }
    if (parameters.containsKey("sslcert") != parameters.containsKey("sslkey")) {
      throw new IllegalArgumentException("sslcert and sslkey go together: set both or neither ("
          + setting("sslcert") + ", " + setting("sslkey") + ")");
    }
    if (mode == SslMode.REQUIRE && roots != null) return SslMode.VERIFY_CA; // libpq's reading; pgjdbc's differs
    if (mode.verifiesCertificate() && roots == null) {
      throw new IllegalArgumentException("sslmode=" + mode + " needs the CA that signed the server's certificate: set "
          + setting("sslrootcert") + " to a PEM file, or to 'system' for the JVM's trusted roots");
    }
    return mode;
  }

  private String libpqForm(boolean withPassword, boolean effectiveMode) {
    StringBuilder s = new StringBuilder("postgresql://").append(pathEncode(user));
    if (withPassword && !password.isEmpty()) s.append(':').append(pathEncode(password));
    s.append('@').append(hostForUrl()).append(':').append(port).append('/').append(pathEncode(database));
    Map<String, String> shown = new LinkedHashMap<>();
    if (effectiveMode) shown.put("sslmode", sslMode.libpqName());
    parameters.forEach((k, v) -> shown.putIfAbsent(PGJDBC_NAMES.getOrDefault(k, k), v));
    StringJoiner query = new StringJoiner("&", "?", "").setEmptyValue("");
    shown.forEach((k, v) -> query.add(pathEncode(k) + "=" + pathEncode(v)));
    return s.append(query).toString();
  }

  private String hostForUrl() {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private void requireCertificates(String parameter, String file) {
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
        throw new IllegalArgumentException(setting(parameter) + " is " + file + ", which holds no certificate");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(setting(parameter) + " is " + file + ", which cannot be read ("
          + e.getClass().getSimpleName() + ")", e);
    } catch (CertificateException e) {
      throw new IllegalArgumentException(setting(parameter) + " is " + file + ", which holds no PEM certificate: "
          + e.getMessage(), e);
    }
  }

  private static String causes(Throwable failure) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      all.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
    }
    return all.toString();
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  /** RFC 3986 percent-encoding, as libpq reads it: a space is {@code %20}, a plus sign stays one. */
  private static String pathEncode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The form encoding pgjdbc decodes ({@code URLDecoder}). */
  private static String formEncode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static PostgresUrl.Parts libpqParts(String url, String source) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(source + " is not a valid URL: characters such as @ : / ? # [ ] % in the "
          + "user name or password must be percent-encoded (%40 for @)");
    }
    String authority = uri.getRawAuthority();
    if (authority == null || authority.endsWith("@")) throw new IllegalArgumentException(source + " names no host");
    Parts parts = new Parts(source);
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String userInfo = authority.substring(0, at);
      int colon = userInfo.indexOf(':');
      parts.put("user", parts.decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
      if (colon >= 0) parts.put("password", parts.decode(userInfo.substring(colon + 1)));
    }
    String hostPort = authority.substring(at + 1);
    String portText = null;
    if (hostPort.startsWith("[")) {
      int end = hostPort.indexOf(']');
      if (end < 0) throw new IllegalArgumentException(source + " has an IPv6 host without its closing ]");
      parts.put("PGHOST", hostPort.substring(1, end));
      if (hostPort.length() > end + 1) {
        if (hostPort.charAt(end + 1) != ':') throw new IllegalArgumentException(source + " has text after its host");
        portText = hostPort.substring(end + 2);
      }
    } else {
      int colon = hostPort.lastIndexOf(':');
      parts.put("PGHOST", parts.decode(colon < 0 ? hostPort : hostPort.substring(0, colon)));
      if (colon >= 0) portText = hostPort.substring(colon + 1);
    }
    if (portText != null) parts.put("PGPORT", portText);
    String path = uri.getRawPath();
    if (path != null && path.length() > 1) parts.put("PGDBNAME", parts.decode(path.substring(1)));
    String query = uri.getRawQuery();
    if (query != null) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) continue;
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(source + " has a parameter without a value: '"
              + parts.decode(eq < 0 ? pair : "=") + "'");
        }
        parts.put(parts.decode(pair.substring(0, eq)), parts.decode(pair.substring(eq + 1)));
      }
    }
    return parts;
  }

  private static PostgresUrl.Parts jdbcParts(String url, String source) {
    int q = url.indexOf('?');
    String base = q < 0 ? url : url.substring(0, q);
    if (base.contains("@")) {
      throw new IllegalArgumentException(source + ": a jdbc:postgresql: URL takes the user and password as "
          + "?user=…&password=… parameters (user:password@host is the postgresql:// form)");
    }
    // pgjdbc logs a malformed URL in full: parse the part without parameters (and secrets) first.
    if (Driver.parseURL(base, null) == null) {
      throw new IllegalArgumentException(source + " is not a valid jdbc:postgresql://host:port/database URL");
    }
    Properties parsed = Driver.parseURL(url, null);
    if (parsed == null) throw new IllegalArgumentException(source + " has malformed parameters");
    Parts parts = new Parts(source);
    parsed.stringPropertyNames().forEach(name -> parts.put(name, parsed.getProperty(name)));
    return parts;
  }

  /** What a URL says, gathered under pgjdbc's names before it is checked. */
  private static final class Parts {
    private final String source;
    private final Map<String, String> values = new LinkedHashMap<>();

    Parts(String source) {
      this.source = source;
    }

    void put(String name, String value) {
      String key = LIBPQ_NAMES.getOrDefault(name, name);
      PGProperty property = PGProperty.forName(key);
      if (property == null) {
        throw new IllegalArgumentException(source + " has the parameter '" + name + "', which Muster does not know: it "
            + "takes pgjdbc's parameters and libpq's " + String.join(", ", LIBPQ_NAMES.keySet().stream().sorted()
                .toList()) + ", user, password, " + String.join(", ", TLS_PARAMETERS.stream().sorted().toList()));
      }
      if (REFUSED.contains(key)) {
        throw new IllegalArgumentException(source + " has the parameter '" + name + "': Muster sets TLS up itself, "
            + "the same way for both its drivers, from sslmode, sslrootcert, sslcert and sslkey");
      }
      String[] choices = property.getChoices();
      if (choices != null && !key.equals("sslmode")) {
        boolean known = false;
        for (String choice : choices) known |= choice.equalsIgnoreCase(value);
        if (!known) {
          throw new IllegalArgumentException(source + ": " + name + " must be one of " + String.join(", ", choices)
              + ", was '" + value + "'");
        }
      }
      values.put(key, value);
    }

    /** Percent-decoding as RFC 3986 (and libpq) has it: unlike a form, '+' stays a plus sign. */
    String decode(String raw) {
      try {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + " has a malformed %-escape"); // URLDecoder's would quote it
      }
    }

    PostgresUrl build(String source, String prefix) {
      String host = values.remove("PGHOST");
      String portText = values.remove("PGPORT");
      String user = values.remove("user");
      String password = values.remove("password");
      String database = values.remove("PGDBNAME");
      if (host == null || host.isEmpty()) throw new IllegalArgumentException(source + " names no host");
      if (host.contains(",") || (portText != null && portText.contains(","))) {
        throw new IllegalArgumentException(source + " names several hosts; Muster connects to one (the primary)");
      }
      if (host.startsWith("/")) {
        throw new IllegalArgumentException(source + " names a Unix-domain socket; Muster connects over TCP: name a host");
      }
      if (user == null || user.isEmpty()) throw new IllegalArgumentException(source + " names no user");
      int port = DEFAULT_PORT;
      if (portText != null && !portText.isEmpty()) {
        try {
          port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
          port = -1;
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException(source + " has a port that is not 1-65535");
      }
      String ssl = values.remove(PGProperty.SSL.getName());
      if (ssl != null && !values.containsKey("sslmode")) {
        // pgjdbc's old switch, read as pgjdbc reads it: ssl=true (or just ssl) is verify-full.
        Properties legacy = new Properties();
        legacy.setProperty(PGProperty.SSL.getName(), ssl);
        try {
          values.put("sslmode", org.postgresql.jdbc.SslMode.of(legacy).value);
        } catch (PSQLException e) {
          throw new IllegalArgumentException(source + ": ssl=" + ssl + " is not understood", e);
        }
      }
      values.keySet().removeAll(STRUCTURAL);
      return new PostgresUrl(source, prefix, host, port, database == null || database.isEmpty() ? user : database,
          user, password == null ? "" : password, values);
    }
  }
}
