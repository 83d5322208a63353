package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.projection.SchemaView;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A schema's migration sessions as PostgreSQL shows them to anyone — every replica, the CLI — by their
 * {@code application_name} ({@link FlywayRunner#runSessionName}): their state now, who blocks them, and the
 * signal an operator sends to a blocker. Blocking JDBC: call from a worker thread.
 */
public final class RunSessions {
  private RunSessions() {}

  private static final String BACKEND = "SELECT pid, state, wait_event_type || ':' || wait_event,"
      + " (extract(epoch FROM clock_timestamp() - xact_start) * 1000)::bigint,"
      + " (extract(epoch FROM clock_timestamp() - state_change) * 1000)::bigint"
      + " FROM pg_stat_activity WHERE application_name = ?"
      + " ORDER BY xact_start IS NULL, state = 'idle', pid LIMIT 1";

  /** The schema's run session now: the one in a transaction first; {@code null} when there is none. */
  public static SchemaView.RunBackend backend(Connection c, String schema) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(BACKEND)) {
      st.setString(1, FlywayRunner.runSessionName(schema));
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) return null;
        return new SchemaView.RunBackend(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getObject(4, Long.class),
            rs.getObject(5, Long.class));
      }
    }
  }

  /** Blockers in words, as failures and {@code status} name them. */
  public static String describe(List<Payload.Blocker> blockers) {
    return BlockerWatch.describe(blockers);
  }

  /** Who blocks the schema's run sessions now (empty: nobody, or no session — between two attempts). */
  public static List<Payload.Blocker> blockers(Connection c, String schema) throws SQLException {
    List<Integer> runs = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
      st.setString(1, FlywayRunner.runSessionName(schema));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) runs.add(rs.getInt(1));
      }
    }
    List<Payload.Blocker> blockers = new ArrayList<>();
    for (int run : runs) blockers.addAll(BlockerWatch.blockers(c, run));
    return blockers;
  }

  /**
   * Sends {@code pg_cancel_backend} (or {@code pg_terminate_backend}) to {@code pid}, if it holds up a run of
   * {@code schema}: it blocks one of the run's sessions now, or {@code named} names it (the run's last
   * {@code migration.blocked}, for a run between two attempts). Anything else is refused, so that the call can
   * signal no other session.
   *
   * @return {@code null} when {@code pid} holds up no run of the schema; else whether PostgreSQL signalled it
   */
  public static Boolean signal(Connection c, String schema, int pid, boolean terminate, Collection<Integer> named)
      throws SQLException {
    Set<Integer> allowed = new LinkedHashSet<>(named);
    blockers(c, schema).forEach(b -> allowed.add(b.pid()));
    if (!allowed.contains(pid)) return null;
    try (PreparedStatement st = c.prepareStatement(terminate ? "SELECT pg_terminate_backend(?)" : "SELECT pg_cancel_backend(?)")) {
      st.setInt(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }
}
