package dev.muster.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The fan-out as a fleet sees it: the orchestrator in an OS process of its own ({@code serve}, from this jar), the
 * waiting services in {@value #PROCESSES} other OS processes ({@link SseClients}: one light SSE arrival per socket),
 * the gated migration released once every stream is open. Latency: from {@code schema.ready}'s {@code at} to each
 * client reading it. In the same round, the baselines a fleet would otherwise use: {@value #POLLERS} loops on
 * Flyway's history table every 1 s and every 100 ms (Flyway's own lock retry, k8s-wait-for); the floor of the write
 * phase, the same clients reading one event that a bare server ({@link SocketFloor}) writes to their N sockets; and,
 * once per run, the floor under any push: a raw NOTIFY to a JDBC listener. The orchestrator's RSS and its PostgreSQL sessions are read while every
 * stream waits.
 */
final class FleetFanOut {
  static final int PROCESSES = 4;
  static final int POLLERS = 10;

  /**
   * One run of one size: the samples, and what was read while its streams waited.
   *
   * @param arrivalsMs in the slowest client process, from its first arrival sent to its last stream begun
   */
  private record Sample(int clients, int released, List<Double> fromReady, List<Double> fromEnd, List<Double> poll1s,
      List<Double> poll100ms, List<Double> socketFloor, long rssKiB, long backends, long backendsAfter,
      double arrivalsMs) {}

  /**
   * The runs of one size, pooled: latencies over every run (so that a p99 is a p99 even of one client), the largest
   * RSS and session counts, the median time to put the arrivals on record.
   */
  record Round(int clients, int runs, int released, Stats fromReady, Stats fromEnd, Stats poll1s, Stats poll100ms,
      Stats socketFloor, long rssKiB, long backends, long backendsAfter, double arrivalsMs) {
    static Round pool(List<Sample> samples) {
      List<Double> ready = new ArrayList<>();
      List<Double> end = new ArrayList<>();
      List<Double> p1 = new ArrayList<>();
      List<Double> p100 = new ArrayList<>();
      List<Double> floor = new ArrayList<>();
      int released = 0;
      long rss = 0;
      long backends = 0;
      long after = 0;
      for (Sample s : samples) {
        ready.addAll(s.fromReady);
        end.addAll(s.fromEnd);
        p1.addAll(s.poll1s);
        p100.addAll(s.poll100ms);
        floor.addAll(s.socketFloor);
        released += s.released;
        rss = Math.max(rss, s.rssKiB);
        backends = Math.max(backends, s.backends);
        after = Math.max(after, s.backendsAfter);
      }
      double arrivals = Stats.of(samples.stream().map(Sample::arrivalsMs).toList()).p50();
      return new Round(samples.get(0).clients, samples.size(), released, Stats.of(ready), Stats.of(end), Stats.of(p1),
          Stats.of(p100), Stats.of(floor), rss, backends, after, arrivals);
    }

    /** Every client of every run released. */
    boolean allReleased() {
      return released == clients * runs;
    }

    JsonObject json() {
      return new JsonObject().put("clients", clients).put("runs", runs).put("released", released)
          .put("fromSchemaReady", fromReady.json())
          .put("fromMigrationEnd", fromEnd.json())
          .put("poll1s", poll1s.json()).put("poll100ms", poll100ms.json()).put("socketFloor", socketFloor.json())
          .put("orchestratorRssKiB", rssKiB)
          .put("orchestratorBackendsWaiting", backends).put("orchestratorBackendsAfter", backendsAfter)
          .put("arrivalsMs", arrivalsMs);
    }
  }

  record Result(List<Round> rounds, Stats notifyFloor, int maxParallel, List<String> jvmOptions, int migrations) {
    JsonObject json() {
      return new JsonObject().put("rounds", new JsonArray(rounds.stream().map(Round::json).toList()))
          .put("notifyToListener", notifyFloor.json()).put("maxParallel", maxParallel)
          .put("orchestratorJvmOptions", new JsonArray(jvmOptions)).put("migrations", migrations);
    }
  }

  private FleetFanOut() {}

  static Result run(BenchDatabase db, Path work, List<Integer> sizes, boolean warmup, List<String> jvmOptions)
      throws Exception {
    return run(db, work, sizes, warmup, jvmOptions, 2, 1);
  }

  /**
   * @param migrations how many a run applies: 2, or more for a burst of events after the gate
   * @param repeat     runs of each size, pooled
   */
  static Result run(BenchDatabase db, Path work, List<Integer> sizes, boolean warmup, List<String> jvmOptions,
      int migrations, int repeat) throws Exception {
    MigrationSet set = MigrationSet.gated(work.resolve("fleet-fan-out"), migrations);
    String java = OrchestratorProcess.java();
    String jar = OrchestratorProcess.classPath();
    long baseline = backends(db);
    try (OrchestratorProcess started = OrchestratorProcess.start(db, work, set, "bench-fleet", jvmOptions)) {
      String url = started.url();
      Process orchestrator = started.process();
      List<Round> rounds = new ArrayList<>();
      if (warmup) {
        Progress.say("fleet fan-out: warm-up round (10 clients, not counted)");
        round(db, url, 10, java, jar, orchestrator, baseline, work, migrations);
      }
      for (int n : sizes) {
        Progress.say("fleet fan-out: " + n + " clients in " + Math.min(PROCESSES, n) + " processes");
        List<Sample> runs = new ArrayList<>();
        for (int i = 0; i < repeat; i++) runs.add(round(db, url, n, java, jar, orchestrator, baseline, work, migrations));
        rounds.add(Round.pool(runs));
      }
      return new Result(rounds, notifyFloor(db), 4, started.jvmOptions(), migrations);
    }
  }

  private static Sample round(BenchDatabase db, String url, int n, String java, String jar, Process orchestrator,
      long baseline, Path work, int migrations) throws Exception {
    String schema = db.newSchema("fleet");
    long rss;
    long during;
    List<Double> poll1s = new CopyOnWriteArrayList<>();
    List<Double> poll100 = new CopyOnWriteArrayList<>();
    List<Thread> pollers = new ArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    try (Gate gate = Gate.close(db, schema); Clients clients = Clients.start(java, jar, url, schema, n, work)) {
      double arrivalsMs = clients.awaitStreaming();
      rss = rssKiB(orchestrator.pid());
      during = backends(db) - baseline - 1; // the gate's session is the bench's
      for (int i = 0; i < POLLERS; i++) {
        pollers.add(poller(db, schema, migrations, 1000, poll1s, stop));
        pollers.add(poller(db, schema, migrations, 100, poll100, stop));
      }
      Thread.sleep(1100); // every poller has made its first look
      gate.open();
      List<Long> readAt = clients.readyTimes();
      Instant ready = db.queryInstant("SELECT at FROM muster.events WHERE schema_name = ? AND type = 'schema.ready'",
          schema);
      long readyMicros = ready.getEpochSecond() * 1_000_000 + ready.getNano() / 1_000;
      Instant end = db.queryInstant("SELECT at FROM " + schema + ".bench_marks WHERE what = 'migration_end'");
      long endMicros = end.getEpochSecond() * 1_000_000 + end.getNano() / 1_000;
      List<Double> latencies = new ArrayList<>();
      List<Double> fromEnd = new ArrayList<>();
      for (long at : readAt) {
        latencies.add((at - readyMicros) / 1000.0);
        fromEnd.add((at - endMicros) / 1000.0);
      }
      for (Thread t : pollers) t.join(5000);
      stop.set(true);
      // A poller sees the history row, which commits before schema.ready: all three from the migration's end.
      List<Double> p1 = shift(poll1s, endMicros);
      List<Double> p100 = shift(poll100, endMicros);
      long after = backends(db) - baseline - 1;
      return new Sample(n, readAt.size(), latencies, fromEnd, p1, p100, floor(java, jar, n, work), rss, during, after,
          arrivalsMs);
    } finally {
      stop.set(true);
    }
  }

  /**
   * The same clients against {@link SocketFloor}: from its first write to each client reading the event — what N
   * writes and N readers cost on this box, with no orchestrator.
   */
  private static List<Double> floor(String java, String jar, int n, Path work) throws Exception {
    try (SocketFloor server = SocketFloor.start(); Clients clients = Clients.start(java, jar, server.url(), "floor", n, work)) {
      clients.awaitStreaming();
      long firedAt = server.fire();
      List<Double> latencies = new ArrayList<>();
      for (long at : clients.readyTimes()) latencies.add((at - firedAt) / 1000.0);
      return latencies;
    }
  }

  /** A round's client processes ({@link SseClients}), each with its share of the N arrivals. */
  private static final class Clients implements AutoCloseable {
    private final List<Process> children = new ArrayList<>();
    private final List<BufferedReader> outputs = new ArrayList<>();

    static Clients start(String java, String jar, String url, String schema, int n, Path work) throws Exception {
      Clients clients = new Clients();
      int processes = Math.min(PROCESSES, n);
      for (int p = 0; p < processes; p++) {
        int share = n / processes + (p < n % processes ? 1 : 0);
        Process child = new ProcessBuilder(java, "-Xss256k", "-XX:+UseSerialGC", "-cp", jar,
            "dev.muster.bench.SseClients", url, schema, String.valueOf(share), "c" + p)
            .redirectError(ProcessBuilder.Redirect.appendTo(work.resolve("clients.log").toFile())).start();
        clients.children.add(child);
        clients.outputs.add(new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)));
      }
      return clients;
    }

    /**
     * Waits until every stream has begun; returns the longest of the processes' own spans, first arrival sent to
     * last stream begun (their JVMs start at different instants).
     */
    double awaitStreaming() throws Exception {
      double arrivalsMs = 0;
      for (BufferedReader out : outputs) {
        String line = out.readLine();
        if (line == null || !line.startsWith("streaming ")) throw new IllegalStateException("a client process said " + line);
        String[] at = line.split(" ");
        arrivalsMs = Math.max(arrivalsMs, (Long.parseLong(at[2]) - Long.parseLong(at[1])) / 1000.0);
      }
      return arrivalsMs;
    }

    /** The instants (epoch µs) at which the streams read their event; those with a problem are counted, not kept. */
    List<Long> readyTimes() throws Exception {
      List<Long> readAt = new ArrayList<>();
      int problems = 0;
      for (BufferedReader out : outputs) {
        for (String line; (line = out.readLine()) != null && !line.equals("done"); ) {
          if (line.startsWith("ready ")) readAt.add(Long.parseLong(line.substring(6)));
          else if (line.startsWith("problem")) problems++;
        }
      }
      if (problems > 0) Progress.say("fleet fan-out: " + problems + " clients had a problem (see clients.log)");
      return readAt;
    }

    @Override
    public void close() throws Exception {
      for (Process c : children) {
        if (!c.waitFor(10, TimeUnit.SECONDS)) c.destroyForcibly();
      }
    }
  }

  /** Pollers record epoch µs as ms-doubles of absolute time; made relative here. */
  private static List<Double> shift(List<Double> absoluteMicros, long fromMicros) {
    List<Double> out = new ArrayList<>();
    for (double at : absoluteMicros) out.add((at - fromMicros) / 1000.0);
    return out;
  }

  /** A service that loops on Flyway's history table, as a fleet without Muster would; records when it saw V2. */
  private static Thread poller(BenchDatabase db, String schema, int lastVersion, long everyMs, List<Double> seen,
      AtomicBoolean stop) {
    Thread t = new Thread(() -> {
      try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement("SELECT count(*) FROM "
          + schema + ".flyway_schema_history WHERE version = '" + lastVersion + "' AND success")) {
        while (!stop.get()) {
          boolean done;
          try (ResultSet rs = st.executeQuery()) {
            done = rs.next() && rs.getLong(1) > 0;
          } catch (SQLException e) {
            done = false; // the history table is not there yet
          }
          if (done) {
            Instant now = Instant.now();
            seen.add((double) (now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000));
            return;
          }
          Thread.sleep(everyMs);
        }
      } catch (Exception e) {
        Progress.say("fleet fan-out: a poller failed: " + e);
      }
    }, "poller-" + everyMs);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The floor under any push: NOTIFY on one session to a JDBC listener on another, 200 round trips. */
  static Stats notifyFloor(BenchDatabase db) throws Exception {
    List<Double> samples = new ArrayList<>();
    try (Connection listen = db.connect(); Connection send = db.connect()) {
      listen.setAutoCommit(true);
      send.setAutoCommit(true);
      try (Statement st = listen.createStatement()) {
        st.execute("LISTEN bench_floor");
      }
      PGConnection pg = listen.unwrap(PGConnection.class);
      for (int i = 0; i < 220; i++) {
        long t0 = System.nanoTime();
        try (Statement st = send.createStatement()) {
          st.execute("NOTIFY bench_floor, '" + i + "'");
        }
        PGNotification[] got = pg.getNotifications(5000);
        long t1 = System.nanoTime();
        if (got == null || got.length == 0) continue;
        if (i >= 20) samples.add((t1 - t0) / 1e6); // the first few warm the sessions up
      }
    }
    return Stats.of(samples);
  }

  /** Sessions on the server other than this query's own. */
  private static long backends(BenchDatabase db) {
    return db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        + " AND pid <> pg_backend_pid()");
  }

  private static long rssKiB(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    return -1;
  }

  static void print(Result r, PrintStream out) {
    out.println("## fleet fan-out: orchestrator and clients in separate OS processes (SSE, " + PROCESSES
        + " client processes; " + r.migrations + " migrations a run)");
    out.println();
    Table t = new Table("clients", "how", "count", "p50", "p90", "p99", "max");
    for (Round round : r.rounds) {
      t.row(Table.concat(new Object[] {round.clients, "Muster SSE, from schema.ready"}, cells(round.fromReady)));
      t.row(Table.concat(new Object[] {round.clients, "Muster SSE, from migration end"}, cells(round.fromEnd)));
      t.row(Table.concat(new Object[] {round.clients, "floor: one thread writes N sockets, from its first write"},
          cells(round.socketFloor)));
      t.row(Table.concat(new Object[] {round.clients, "poll history every 1 s (" + POLLERS + "), from migration end"},
          cells(round.poll1s)));
      t.row(Table.concat(new Object[] {round.clients, "poll history every 100 ms (" + POLLERS + "), from migration end"},
          cells(round.poll100ms)));
    }
    t.print(out);
    out.println();
    out.println("Orchestrator JVM options: " + String.join(" ", r.jvmOptions));
    out.println("NOTIFY → JDBC listener floor: p50 " + Stats.ms(r.notifyFloor.p50()) + ", p99 "
        + Stats.ms(r.notifyFloor.p99()));
    for (Round round : r.rounds) {
      out.println("- " + round.clients + " streams" + (round.runs > 1 ? " (" + round.runs + " runs; latencies pooled)" : "")
          + ": " + round.clients + " arrivals on record in "
          + Stats.ms(round.arrivalsMs) + " (a client process's first sent to its last stream begun, the slowest);"
          + " orchestrator RSS " + round.rssKiB / 1024
          + " MiB, its PostgreSQL sessions " + round.backends + " while waiting, " + round.backendsAfter + " after"
          + (round.allReleased() ? "" : "; NOT RELEASED: " + (round.clients * round.runs - round.released)));
    }
    out.println();
  }

  private static Object[] cells(Stats s) {
    Object[] all = Table.cells(s);
    // count, p50, p90, p99, max
    return all;
  }
}
