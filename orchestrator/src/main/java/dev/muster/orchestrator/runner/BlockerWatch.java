package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.Payload.Blocker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names who holds a migration up, while it runs: PostgreSQL tells nobody that a session waits on a lock, so this
 * looks ({@code pg_blocking_pids}, {@code pg_stat_activity}) every {@value #EVERY_MS} ms on a connection of its
 * own, only while a migration's statement is under way. A change in the set of blockers is told to the run's
 * progress ({@code migration.blocked}); the automatic policy, when set, terminates blockers idle in transaction
 * for too long. One per run, on a thread of its own.
 */
final class BlockerWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlockerWatch.class);
  static final long EVERY_MS = 200;
  /** What a blocker's query shows: its first characters only. */
  static final int QUERY_CHARS = 60;
  static final String BLOCKERS = "SELECT b.pid, b.application_name, b.usename::text, host(b.client_addr), b.state,"
      + " (extract(epoch FROM clock_timestamp() - b.xact_start) * 1000)::bigint,"
      + " (extract(epoch FROM clock_timestamp() - b.state_change) * 1000)::bigint, left(b.query, " + QUERY_CHARS + ")"
      + " FROM unnest(pg_blocking_pids(?)) AS x(pid) JOIN pg_stat_activity b ON b.pid = x.pid"
      + " ORDER BY b.xact_start NULLS LAST, b.pid";

  /** The migration being watched. */
  private record Watched(int runPid, String version, String description, int attempt, long lockTimeoutMs) {}

  interface Connector {
    Connection connect() throws SQLException;
  }

  private final Connector connector;
  private final String schema;
  private final Runner.Progress progress;
  private final Duration terminateIdle;
  private final ScheduledExecutorService thread;
  private volatile Watched watched;
  private volatile List<Blocker> lastSeen = List.of();
  private volatile Integer lastRunPid;
  // The watcher thread's own.
  private Connection connection;
  private Set<Integer> published = Set.of();
  private final Set<Integer> terminated = new HashSet<>();

  BlockerWatch(Connector connector, String schema, Runner.Progress progress, Duration terminateIdle) {
    this.connector = connector;
    this.schema = schema;
    this.progress = progress;
    this.terminateIdle = terminateIdle;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "muster-blocker-watch-" + schema);
      t.setDaemon(true);
      return t;
    });
    thread.scheduleWithFixedDelay(this::look, EVERY_MS, EVERY_MS, TimeUnit.MILLISECONDS);
  }

  /** A migration's statements begin on session {@code runPid}. */
  void watch(int runPid, String version, String description, int attempt, long lockTimeoutMs) {
    lastSeen = List.of();
    lastRunPid = runPid;
    watched = new Watched(runPid, version, description, attempt, lockTimeoutMs);
  }

  /** The migration's statements are over. */
  void stop() {
    watched = null;
  }

  /** Who held the watched migration up when last seen in its latest attempt (empty: nobody seen). */
  List<Blocker> lastSeen() {
    return lastSeen;
  }

  /** Cancels the statement the run's session is in, from the watcher's connection. */
  void cancelRun() {
    Integer pid = lastRunPid;
    if (pid == null) return;
    thread.execute(() -> {
      try (PreparedStatement st = connection().prepareStatement("SELECT pg_cancel_backend(?)")) {
        st.setInt(1, pid);
        st.execute();
      } catch (SQLException e) {
        log.warn("Schema {}: could not cancel the aborted run's statement: {}", schema, e.getMessage());
        dropConnection();
      }
    });
  }

  private void look() {
    Watched w = watched;
    if (w == null) return;
    try {
      List<Blocker> blockers = blockers(connection(), w.runPid());
      if (blockers.isEmpty() || watched != w) return;
      lastSeen = blockers;
      Set<Integer> pids = new HashSet<>();
      blockers.forEach(b -> pids.add(b.pid()));
      if (!pids.equals(published)) {
        published = pids;
        progress.blocked(new Payload.MigrationBlocked(schema, w.version(), w.description(), w.attempt(), w.runPid(),
            w.lockTimeoutMs(), blockers));
      }
      if (!terminateIdle.isZero()) terminateIdle(blockers);
    } catch (SQLException e) {
      log.debug("Schema {}: could not look for blockers: {}", schema, e.getMessage());
      dropConnection();
    } catch (RuntimeException e) {
      log.warn("Schema {}: looking for blockers failed", schema, e);
    }
  }

  /** The automatic policy: a session idle in its transaction this long is forgotten, not working. */
  private void terminateIdle(List<Blocker> blockers) throws SQLException {
    for (Blocker b : blockers) {
      if (b.state() == null || !b.state().startsWith("idle in transaction") || b.stateAgeMs() == null
          || b.stateAgeMs() < terminateIdle.toMillis() || !terminated.add(b.pid())) continue;
      boolean done;
      try (PreparedStatement st = connection().prepareStatement("SELECT pg_terminate_backend(?)")) {
        st.setInt(1, b.pid());
        try (ResultSet rs = st.executeQuery()) {
          done = rs.next() && rs.getBoolean(1);
        }
      }
      log.warn("Schema {}: terminated pid {} ({}), idle in transaction for {} ms while blocking a migration", schema,
          b.pid(), b.application(), b.stateAgeMs());
      progress.intervened(new Payload.MigrationIntervened(schema, Payload.Action.TERMINATE, b.pid(),
          "policy: idle in transaction over " + terminateIdle.toMillis() + " ms", done));
    }
  }

  static List<Blocker> blockers(Connection c, int pid) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(BLOCKERS)) {
      st.setInt(1, pid);
      List<Blocker> blockers = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          blockers.add(new Blocker(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
              (Long) rs.getObject(6, Long.class), (Long) rs.getObject(7, Long.class), rs.getString(8)));
        }
      }
      return blockers;
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      connection = connector.connect();
      connection.setAutoCommit(true);
      try (var st = connection.createStatement()) {
        st.execute("SET application_name = 'muster-watch'");
      }
    }
    return connection;
  }

  private void dropConnection() {
    try {
      if (connection != null) connection.close();
    } catch (SQLException ignored) {
      // it is being replaced
    }
    connection = null;
  }

  @Override
  public void close() {
    watched = null;
    thread.execute(this::dropConnection);
    thread.shutdown();
  }

  /** How a failure names its blockers: "pid 18142 (app-3, user app, 10.0.0.5, idle in transaction for 41 s: SELECT …)". */
  static String describe(List<Blocker> blockers) {
    if (blockers.isEmpty()) return "no blocker was seen (it may have come and gone between looks)";
    List<String> parts = new ArrayList<>();
    for (Blocker b : blockers) {
      StringBuilder s = new StringBuilder("pid ").append(b.pid()).append(" (");
      s.append(b.application() == null || b.application().isEmpty() ? "no application_name" : b.application());
      if (b.user() != null) s.append(", user ").append(b.user());
      if (b.clientAddr() != null) s.append(", ").append(b.clientAddr());
      if (b.state() != null) {
        s.append(", ").append(b.state());
        if (b.stateAgeMs() != null) s.append(" for ").append(b.stateAgeMs() / 1000).append(" s");
      }
      if (b.transactionAgeMs() != null) s.append(", transaction open ").append(b.transactionAgeMs() / 1000).append(" s");
      if (b.query() != null && !b.query().isBlank()) s.append(": ").append(b.query().strip());
      parts.add(s.append(')').toString());
    }
    return String.join("; ", parts);
  }
}
