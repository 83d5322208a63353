package dev.muster.orchestrator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.Setting;
import dev.muster.postgres.SslMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The settings table: flags and variables, files for secrets, and docs/configuration.md kept to it. */
class SettingsTest {
  private static final Map<String, String> MIGRATIONS = Map.of("MUSTER_MIGRATIONS", "filesystem:m");

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>(MIGRATIONS);
    for (int i = 0; i < pairs.length; i += 2) env.put(pairs[i], pairs[i + 1]);
    return env;
  }

  /** {@code serve ARGS} parsed by picocli, then resolved against {@code env}. */
  private static MusterConfig serve(Map<String, String> env, String... args) {
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs(args);
    return serve.settings.config(env);
  }

  @Test
  void heartbeatAndTakeoverCheckAreSettings() {
    MusterConfig c = MusterConfig.fromEnvironment(env("MUSTER_HEARTBEAT", "2s", "MUSTER_TAKEOVER_CHECK", "250ms"));
    assertEquals(Duration.ofSeconds(2), c.heartbeat());
    assertEquals(Duration.ofMillis(250), c.takeoverCheck());
    assertEquals(Duration.ofSeconds(15), MusterConfig.fromEnvironment(env("MUSTER_HEARTBEAT", "15")).heartbeat());
    assertEquals(Duration.ofSeconds(10), MusterConfig.fromEnvironment(env()).heartbeat(), "the default");
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> MusterConfig.fromEnvironment(env("MUSTER_TAKEOVER_CHECK", "soon"))).getMessage()
        .startsWith("MUSTER_TAKEOVER_CHECK must be"));
  }

  @Test
  void flagsWinOverVariables() {
    MusterConfig c = serve(env("MUSTER_HTTP_PORT", "9090", "MUSTER_MAX_PARALLEL", "3"), "--http-port", "9191",
        "--heartbeat", "500ms", "--create-schemas");
    assertEquals(9191, c.httpPort());
    assertEquals(3, c.maxParallel());
    assertEquals(Duration.ofMillis(500), c.heartbeat());
    assertTrue(c.createSchemas());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> serve(env(), "--http-port", "eighty")).getMessage()
        .startsWith("--http-port must be a whole number"));
  }

  @Test
  void serveAloneHasTheHttpFlags() {
    assertThrows(CommandLine.UnmatchedArgumentException.class,
        () -> new CommandLine(new MigrateCommand()).parseArgs("--http-port", "1"));
    new CommandLine(new MigrateCommand()).parseArgs("--migrations", "filesystem:m", "--database-sslmode", "require");
  }

  @Test
  void secretsAreReadFromFilesWithoutTheirLineBreak(@TempDir Path dir) throws IOException {
    Path token = Files.writeString(dir.resolve("token"), "write-token\n");
    Path read = Files.writeString(dir.resolve("read"), "read-token\r\n");
    Path password = Files.writeString(dir.resolve("password"), "pa+ss word\n");
    Path url = Files.writeString(dir.resolve("url"), "postgresql://app@db.internal/fleet\n");
    MusterConfig c = MusterConfig.fromEnvironment(env("MUSTER_TOKEN_FILE", token.toString(),
        "MUSTER_READ_TOKEN_FILE", read.toString(), "MUSTER_DATABASE_PASSWORD_FILE", password.toString(),
        "MUSTER_DATABASE_URL_FILE", url.toString()));
    assertEquals("write-token", c.token());
    assertEquals("read-token", c.readToken());
    assertEquals("pa+ss word", c.database().password());
    assertEquals("db.internal", c.database().host());
    assertEquals("write-token", serve(env(), "--token-file", token.toString()).token());
    String shown = c.toString();
    for (String secret : List.of("write-token", "read-token", "pa+ss")) assertFalse(shown.contains(secret), shown);
    assertTrue(shown.contains("token=set") && shown.contains("readToken=set"), shown);
  }

  @Test
  void secretMistakesAreRefusedNamingTheSettingNotTheSecret(@TempDir Path dir) throws IOException {
    Path token = Files.writeString(dir.resolve("token"), "hunter2");
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("MUSTER_TOKEN and MUSTER_TOKEN_FILE are both set", "MUSTER_TOKEN=hunter2 MUSTER_TOKEN_FILE=" + token);
    cases.put("MUSTER_TOKEN_FILE=" + dir.resolve("nope") + " cannot be read", "MUSTER_TOKEN_FILE=" + dir.resolve("nope"));
    cases.put("MUSTER_TOKEN is set but empty", "MUSTER_TOKEN=");
    cases.put("MUSTER_DATABASE_URL is set but empty", "MUSTER_DATABASE_URL=");
    cases.put("MUSTER_DATABASE_SSLMODE set, but MUSTER_DATABASE_URL is not", "MUSTER_DATABASE_SSLMODE=require");
    cases.put("MUSTER_DATABASE_SSLMODE must be one of", "MUSTER_DATABASE_URL=postgresql://u:hunter2@h/d"
        + " MUSTER_DATABASE_SSLMODE=always");
    cases.put("MUSTER_DATABASE_SSLROOTCERT or ?sslrootcert= in MUSTER_DATABASE_URL is " + dir.resolve("ca.pem")
        + ", which cannot be read", "MUSTER_DATABASE_URL=postgresql://u:hunter2@h/d?sslmode=verify-full"
        + " MUSTER_DATABASE_SSLROOTCERT=" + dir.resolve("ca.pem"));
    cases.forEach((expected, assignments) -> {
      Map<String, String> env = env();
      for (String assignment : assignments.split(" ")) {
        String[] kv = assignment.split("=", 2);
        env.put(kv[0], kv[1]);
      }
      String message = assertThrows(IllegalArgumentException.class, () -> MusterConfig.fromEnvironment(env),
          assignments).getMessage();
      assertTrue(message.contains(expected), assignments + " -> " + message);
      assertFalse(message.contains("hunter2"), message);
    });
  }

  @Test
  void theDatabaseSettingsApplyOverTheUrl(@TempDir Path dir) throws IOException {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "");
    String message = assertThrows(IllegalArgumentException.class, () -> MusterConfig.fromEnvironment(env(
        "MUSTER_DATABASE_URL", "postgresql://u@h/d?sslmode=disable", "MUSTER_DATABASE_SSLMODE", "verify-full",
        "MUSTER_DATABASE_SSLROOTCERT", ca.toString()))).getMessage();
    assertTrue(message.contains("holds no certificate"), "the setting's file is the one checked: " + message);
    MusterConfig c = MusterConfig.fromEnvironment(env("MUSTER_DATABASE_URL", "postgresql://u:old@h/d",
        "MUSTER_DATABASE_SSLMODE", "require", "MUSTER_DATABASE_PASSWORD", "new"));
    assertEquals(SslMode.REQUIRE, c.database().sslMode());
    assertEquals("new", c.database().password());
    assertTrue(c.toString().contains("database=postgresql://u@h:5432/d?sslmode=require "), c.toString());
  }

  @Test
  void noMigrationsIsAConfigurationErrorNotAGuess() {
    String message = assertThrows(IllegalArgumentException.class, () -> MusterConfig.fromEnvironment(Map.of()))
        .getMessage();
    assertTrue(message.startsWith("MUSTER_MIGRATIONS is not set"), message);
    assertTrue(MusterConfig.defaults().migrations().isEmpty(), "code that builds a config names its own");
  }

  @Test
  void flagsThatShowInPsSaySo() {
    CommandLine serve = new CommandLine(new ServeCommand());
    for (String flag : List.of("--token", "--read-token", "--database-url")) {
      String help = String.join(" ", serve.getCommandSpec().findOption(flag).description());
      assertTrue(help.contains("Shows in ps to every user of this host: prefer"), flag + ": " + help);
    }
    assertTrue(serve.getUsageMessage().contains("--token-file=FILE"), serve.getUsageMessage());
  }

  /**
   * Every setting has its row in docs/configuration.md with its flags and default, and the row's meaning
   * begins with the sentence {@code --help} shows; every row there is a setting.
   */
  @Test
  void theDocsListEverySettingAsItIsDefined() throws IOException {
    Map<String, List<String>> rows = docsRows();
    for (Setting<?> s : MusterConfig.SETTINGS) {
      if (s.isInternal()) continue;
      List<String> row = rows.remove(variables(s));
      assertTrue(row != null, variables(s) + " has no row in docs/configuration.md; rows: " + rows.keySet());
      assertEquals(flags(s), row.get(0), s + ": the flags column");
      assertTrue(plain(row.get(1)).startsWith(s.description()), s + ": the meaning should begin with \""
          + s.description() + "\", is \"" + plain(row.get(1)) + "\"");
      assertEquals(s.defaultText(), plain(row.get(2)), s + ": the default column");
    }
    assertTrue(rows.isEmpty(), "rows that are no setting: " + rows.keySet());
  }

  private static String variables(Setting<?> s) {
    return s.isSecret() ? s.variable() + ", " + s.fileVariable() : s.variable();
  }

  private static String flags(Setting<?> s) {
    return s.isSecret() ? (s.flag() == null ? s.fileFlag() : s.flag() + ", " + s.fileFlag())
        : s.flag() == null ? "" : s.flag();
  }

  /** The orchestrator's table: variables → [flags, meaning, default], markdown stripped from the first two. */
  private static Map<String, List<String>> docsRows() throws IOException {
    Path docs = Path.of(System.getProperty("muster.root", ".."), "docs", "configuration.md");
    String text = Files.readString(docs);
    String table = text.substring(text.indexOf("## Orchestrator"), text.indexOf("\n## ", text.indexOf("## Orchestrator") + 3));
    Map<String, List<String>> rows = new LinkedHashMap<>();
    for (String line : table.split("\n")) {
      if (!line.startsWith("| `MUSTER_")) continue;
      List<String> cells = List.of(line.substring(1, line.length() - 1).split(" \\| ", -1)).stream().map(String::strip)
          .collect(Collectors.toList());
      rows.put(plain(cells.get(0)), List.of(plain(cells.get(1)), cells.get(2), cells.get(3)));
    }
    return rows;
  }

  /** Markdown to text: code spans and links to their text. */
  private static String plain(String markdown) {
    return markdown.replaceAll("\\[([^]]*)]\\([^)]*\\)", "$1").replace("`", "").strip();
  }
}
