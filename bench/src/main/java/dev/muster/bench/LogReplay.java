package dev.muster.bench;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Replaying a long log through {@code GET /api/v1/events?since=} (issue 12 item 8), as the dashboard's first open does:
 * {@code java -cp muster-bench.jar dev.muster.bench.LogReplay [--events 20000,100000] [--schemas 5000] [--rounds 3]
 * [--jar LABEL=PATH]... [--jvm-option OPTION]...}.
 *
 * <p>It appends the bench's events to the log with {@code generate_series} (numbers from the counter on, so it never
 * touches events already there), starts each orchestrator jar named ({@code serve}, an OS process of its own; the
 * bench's own class path when none is named), and times one client reading the stream from the bench's first event
 * until it holds every one: time to the first event, total, events/s. Every replay is checked: each number once, in
 * order, none missing. A stream cut off before the end is resumed with {@code Last-Event-ID} (as a browser does) and
 * counted. Then replays of single schemas ({@code &schema=}). Jars take turns within a round, so a baseline and this
 * build share the machine's state. On an embedded PostgreSQL unless {@code MUSTER_DATABASE_URL} names a scratch one.
 */
public final class LogReplay {
  private static final String PREFIX = "bench_replay_";

  private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private LogReplay() {}

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = List.of(20_000, 100_000);
    int schemas = 5_000;
    int rounds = 3;
    Map<String, String> jars = new LinkedHashMap<>();
    List<String> jvmOptions = new ArrayList<>();
    int readerRate = 2_500;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--events" -> sizes = List.of(args[++i].split(",")).stream().map(s -> Integer.parseInt(s.trim())).toList();
        case "--schemas" -> schemas = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--jar" -> {
          String[] kv = args[++i].split("=", 2);
          jars.put(kv[0], kv[1]);
        }
        case "--jvm-option" -> jvmOptions.add(args[++i]);
        case "--reader-rate" -> readerRate = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (jars.isEmpty()) jars.put("this build", System.getProperty("java.class.path"));
    Main.quietLogs(false);
    DatabaseUrl url = MusterConfig.database(flag -> null, System.getenv());
    Path work = Files.createTempDirectory("muster-bench-replay");
    try (BenchDatabase db = url == null ? BenchDatabase.embedded() : BenchDatabase.external(url)) {
      // The log's schema, as a replica makes it; then the bench's events after whatever is there.
      Orchestrators.bootstrap(db, jars.values().iterator().next(), work);
      long base = db.queryLong("SELECT seq FROM muster.event_counter");
      long filled = 0;
      System.out.printf(Locale.ROOT, "## replaying the log: GET /api/v1/events?since=%d, %d schemas%n%n", base, schemas);
      Machine.describe(db).print(System.out, java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      System.out.println("| events | jar | round | replay | first event | all events | events/s | server CPU | resumed | bytes |");
      System.out.println("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|");
      List<String> filteredRows = new ArrayList<>();
      for (int size : sizes) {
        if (size > filled) {
          long t0 = System.nanoTime();
          append(db, size - filled, schemas);
          Progress.say(String.format(Locale.ROOT, "replay: log filled to %,d bench events in %.1f s", size,
              (System.nanoTime() - t0) / 1e9));
          filled = size;
        }
        String schema = PREFIX + String.format(Locale.ROOT, "%05d", 7);
        long ofSchema = db.queryLong("SELECT count(*) FROM muster.events WHERE seq > ? AND schema_name = ?", base, schema);
        for (int round = 1; round <= rounds; round++) {
          for (Map.Entry<String, String> jar : jars.entrySet()) {
            try (Orchestrators.Running o = Orchestrators.start(db, jar.getValue(), jvmOptions, work)) {
              // The first replay of a fresh replica (the dashboard's first open), then two more on the same replica. Its
              // start-up work goes on meanwhile: a look at each schema the log names, on its worker threads.
              for (String when : List.of("1st, at /ready", "2nd", "3rd")) {
                long cpu0 = o.cpuNanos();
                Replayed r = replay(o.url() + "/api/v1/events?since=" + base, base, base + filled, 0);
                System.out.printf(Locale.ROOT, "| %,d | %s | %d | %s | %s | %s | %,.0f | %s | %d | %,d |%n",
                    size, jar.getKey(), round, when, Stats.ms(r.firstMs), Stats.ms(r.totalMs), filled / (r.totalMs / 1000),
                    Stats.ms((o.cpuNanos() - cpu0) / 1e6), r.resumed, r.bytes);
              }
              if (readerRate > 0 && size == sizes.get(0)) {
                // A reader as slow as a browser drawing each event: does the replay wait for it, or cut it off?
                long cpu0 = o.cpuNanos();
                Replayed slow = replay(o.url() + "/api/v1/events?since=" + base, base, base + filled, readerRate);
                System.out.printf(Locale.ROOT, "| %,d | %s | %d | paced, %,d events/s | %s | %s | %,.0f | %s | %d | %,d |%n", size,
                    jar.getKey(), round, readerRate, Stats.ms(slow.firstMs), Stats.ms(slow.totalMs),
                    filled / (slow.totalMs / 1000), Stats.ms((o.cpuNanos() - cpu0) / 1e6), slow.resumed, slow.bytes);
              }
              // One schema's events, as a page filtered by schema asks: ten times, the median.
              List<Double> ms = new ArrayList<>();
              for (int i = 0; i < 10; i++) {
                Replayed f = replayCount(o.url() + "/api/v1/events?since=" + base + "&schema=" + schema, ofSchema);
                ms.add(f.totalMs);
              }
              ms.sort(null);
              filteredRows.add(String.format(Locale.ROOT, "| %,d | %s | %d | %d | %s | %s |", size, jar.getKey(), round,
                  ofSchema, Stats.ms(ms.get(ms.size() / 2)), Stats.ms(ms.get(ms.size() - 1))));
            }
          }
        }
      }
      System.out.println();
      System.out.println("One schema's replay (`&schema=`), 10 in a row on the same replica:");
      System.out.println();
      System.out.println("| events in the log | jar | round | of the schema | median | max |");
      System.out.println("|---:|---|---:|---:|---:|---:|");
      filteredRows.forEach(System.out::println);
    } finally {
      try (var paths = Files.walk(work)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * {@code count} events after {@code after}, spread over {@code schemas} schemas, in the mix a deploy writes: per
   * schema a run (lock, started, applied, ready) then arrivals and releases. One statement, the counter with it.
   */
  static void append(BenchDatabase db, long count, int schemas) {
    db.execute("WITH c AS (UPDATE muster.event_counter SET seq = seq + " + count + " RETURNING seq - " + count + " AS base)"
        + " INSERT INTO muster.events (seq, at, type, schema_name, data)"
        + " SELECT g.seq, now() - interval '1 millisecond' * (" + count + " - g.i), g.t, g.s,"
        + "   jsonb_build_object('type', g.t, 'schema', g.s, 'service', 'app', 'instance', 'app-' || (g.seq % 97),"
        + "     'requiredVersion', '2', 'version', '2', 'durationMs', 12, 'orchestrator', 'bench-replay')"
        + " FROM (SELECT i, c.base + i AS seq, '" + PREFIX + "' || lpad(((c.base + i) % " + schemas + ")::text, 5, '0') AS s,"
        + "   CASE ((c.base + i) / " + schemas + ") % 8 WHEN 0 THEN 'schema.lock_acquired' WHEN 1 THEN 'migration.started'"
        + "     WHEN 2 THEN 'migration.applied' WHEN 3 THEN 'schema.ready'"
        + "     ELSE CASE WHEN i % 2 = 0 THEN 'service.starting' ELSE 'service.released' END END AS t"
        + "   FROM c, generate_series(1, " + count + ") i) g ORDER BY g.seq;"
        + " ANALYZE muster.events");
  }

  record Replayed(double firstMs, double totalMs, int resumed, long bytes) {}

  /**
   * Reads the stream until event {@code last} has come, checking that the numbers run {@code after + 1} to
   * {@code last} without a gap or a repeat; a stream cut off early is resumed with {@code Last-Event-ID}.
   */
  static Replayed replay(String url, long after, long last, int eventsPerSecond) throws Exception {
    long t0 = System.nanoTime();
    long first = -1;
    long seen = after;
    int resumed = 0;
    long bytes = 0;
    while (seen < last) {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream")
          .timeout(Duration.ofSeconds(30));
      if (seen > after) request.header("Last-Event-ID", Long.toString(seen));
      HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) throw new IllegalStateException("HTTP " + response.statusCode());
      try (InputStream body = response.body();
          BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16)) {
        String line;
        while (seen < last && (line = in.readLine()) != null) {
          bytes += line.length() + 1;
          if (!line.startsWith("id: ")) continue;
          long id = Long.parseLong(line.substring(4));
          if (first < 0) first = System.nanoTime();
          if (id != seen + 1) {
            throw new IllegalStateException("event #" + id + " after #" + seen);
          }
          seen = id;
          if (eventsPerSecond > 0) pace(t0, seen - after, eventsPerSecond);
        }
      } catch (IOException cut) {
        // reset by the server: resumed below
      }
      if (seen < last) resumed++;
      if (resumed > 1000) throw new IllegalStateException("resumed 1000 times, at #" + seen);
    }
    long t1 = System.nanoTime();
    return new Replayed((first - t0) / 1e6, (t1 - t0) / 1e6, resumed, bytes);
  }

  /** Sleeps while the reader is ahead of {@code eventsPerSecond}. */
  private static void pace(long t0, long read, int eventsPerSecond) throws InterruptedException {
    long dueNanos = t0 + read * 1_000_000_000L / eventsPerSecond;
    long ahead = dueNanos - System.nanoTime();
    if (ahead > 1_000_000) Thread.sleep(ahead / 1_000_000);
  }

  /** Reads a filtered stream until it has {@code count} events, in rising order. */
  static Replayed replayCount(String url, long count) throws Exception {
    long t0 = System.nanoTime();
    long first = -1;
    long n = 0;
    long seen = -1;
    HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(url))
        .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = response.body();
        BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String line;
      while (n < count && (line = in.readLine()) != null) {
        if (!line.startsWith("id: ")) continue;
        long id = Long.parseLong(line.substring(4));
        if (id <= seen) throw new IllegalStateException("event #" + id + " after #" + seen);
        if (first < 0) first = System.nanoTime();
        seen = id;
        n++;
      }
    }
    if (n < count) throw new IllegalStateException(n + " of " + count + " events");
    return new Replayed((first - t0) / 1e6, (System.nanoTime() - t0) / 1e6, 0, 0);
  }

  /** Orchestrators as OS processes ({@code serve}) from a given jar or class path. */
  static final class Orchestrators {
    private Orchestrators() {}

    /** Runs one replica until it is ready, so that it creates (or upgrades) schema {@code muster}; then stops it. */
    static void bootstrap(BenchDatabase db, String jar, Path work) throws Exception {
      try (Running ignored = start(db, jar, List.of(), work)) {
        Progress.say("replay: schema muster in place");
      }
    }

    static Running start(BenchDatabase db, String jar, List<String> jvmOptions, Path work) throws Exception {
      String java = ProcessHandle.current().info().command().orElse("java");
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Path migrations = Files.createDirectories(work.resolve("migrations"));
      Files.writeString(migrations.resolve("V1__one.sql"), "SELECT 1;");
      List<String> command = new ArrayList<>(List.of(java));
      command.addAll(jvmOptions);
      command.addAll(List.of("-cp", jar, "dev.muster.orchestrator.Main", "serve"));
      Path log = work.resolve("orchestrator-" + port + ".log");
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      // The database URL in the environment, never on a command line.
      pb.environment().putAll(Map.of("MUSTER_DATABASE_URL", db.url().uri(), "MUSTER_MIGRATIONS", "filesystem:" + migrations,
          "MUSTER_SCHEMAS", BenchDatabase.SCHEMA_PATTERN, "MUSTER_HTTP_PORT", String.valueOf(port),
          "MUSTER_REPLICA", "bench-replay-" + port));
      Process process = pb.start();
      Running running = new Running(process, "http://127.0.0.1:" + port);
      try {
        awaitReady(running, log);
      } catch (Exception e) {
        running.close();
        throw e;
      }
      return running;
    }

    private static void awaitReady(Running o, Path log) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (System.nanoTime() < deadline) {
        if (!o.process.isAlive()) throw new IllegalStateException("the orchestrator exited: " + Files.readString(log));
        try {
          HttpURLConnection c = (HttpURLConnection) URI.create(o.url + "/ready").toURL().openConnection();
          if (c.getResponseCode() == 200) return;
        } catch (IOException notYet) {
          // starting
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException("the orchestrator was not ready within 120 s");
    }

    record Running(Process process, String url) implements AutoCloseable {
      /** CPU time the orchestrator's process has used so far, user and system. */
      long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
      }

      @Override
      public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(40, TimeUnit.SECONDS)) process.destroyForcibly();
      }
    }
  }
}
