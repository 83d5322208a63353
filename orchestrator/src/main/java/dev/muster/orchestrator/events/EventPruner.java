package dev.muster.orchestrator.events;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Objects;

/**
 * Bounds the event log ({@code MUSTER_EVENTS_RETENTION}): deletes, oldest first, the events older than the age or
 * beyond the count — except what each schema's state needs: its latest outcome, the events of the run that led to
 * it (from that run's {@code schema.lock_acquired}, or a delegated run's {@code migrator.elected}, on), and those of a
 * run under way. Service events go, so a
 * replica that starts later reads each schema's state from what is kept, as it always has.
 *
 * <p>In small batches, one short transaction each, and never on {@code muster.event_counter}, whose row lock
 * orders appends: deleting old rows and inserting new ones do not wait on each other. Each batch moves the
 * horizon ({@code muster.event_horizon}) in its own transaction, so a replay that reads the log after a batch
 * sees the horizon that batch left; the horizon row's lock, taken with {@code SKIP LOCKED}, lets one replica prune
 * at a time while the others skip.
 */
public final class EventPruner {
  /** Rows read per batch. */
  public static final int BATCH = 1000;

  private static final String BATCH_SQL = "WITH page AS ("
      + "   SELECT seq, at, type, schema_name FROM muster.events WHERE seq > $1 ORDER BY seq LIMIT $2),"
      // Both limits are prefixes of the log: numbers and times rise together.
      + " bound AS (SELECT (SELECT seq FROM muster.event_counter) - $3::bigint AS by_count,"
      + "   now() - $4::bigint * interval '1 millisecond' AS by_age),"
      + " old AS (SELECT p.* FROM page p, bound b WHERE p.seq <= b.by_count OR p.at < b.by_age),"
      // The latest run began with its lock, or, delegated, with its election.
      + " runs AS (SELECT s.schema_name, o.seq AS outcome, greatest("
      + "     (SELECT max(l.seq) FROM muster.events l WHERE l.schema_name = s.schema_name"
      + "       AND l.type = '" + EventType.SCHEMA_LOCK_ACQUIRED.wire() + "' AND l.seq <= o.seq),"
      + "     (SELECT max(l.seq) FROM muster.events l WHERE l.schema_name = s.schema_name"
      + "       AND l.type = '" + EventType.MIGRATOR_ELECTED.wire() + "' AND l.seq <= o.seq)) AS run_from"
      + "   FROM (SELECT DISTINCT schema_name FROM old WHERE schema_name IS NOT NULL AND type NOT LIKE 'service.%') s"
      + "   CROSS JOIN LATERAL (SELECT max(e.seq) AS seq FROM muster.events e"
      + "     WHERE e.schema_name = s.schema_name AND e." + EventStore.IS_OUTCOME + ") o),"
      // A schema's events from its latest run on stay; so do all of a schema that has no outcome yet.
      + " doomed AS (SELECT old.seq FROM old LEFT JOIN runs r USING (schema_name)"
      + "   WHERE old.schema_name IS NULL OR old.type LIKE 'service.%'"
      + "     OR (r.outcome IS NOT NULL AND old.seq < coalesce(r.run_from, r.outcome))),"
      + " gone AS (DELETE FROM muster.events e USING doomed d WHERE e.seq = d.seq RETURNING e.seq),"
      + " moved AS (UPDATE muster.event_horizon SET seq = greatest(seq, (SELECT max(seq) FROM gone))"
      + "   WHERE EXISTS (SELECT 1 FROM gone) RETURNING seq)"
      + " SELECT (SELECT count(*) FROM page) AS page_rows, (SELECT max(seq) FROM page) AS page_end,"
      + "   (SELECT count(*) FROM old) AS old_rows, (SELECT count(*) FROM gone) AS deleted";

  private final Pool pool;
  private final Retention retention;
  private final int batch;

  public EventPruner(Pool pool, Retention retention) {
    this(pool, retention, BATCH);
  }

  EventPruner(Pool pool, Retention retention, int batch) {
    this.pool = pool;
    this.retention = Objects.requireNonNull(retention);
    this.batch = batch;
  }

  /** One pass from the start of the log; completes with the number of events deleted (0 if another replica prunes). */
  public Future<Long> prune() {
    return next(0, 0);
  }

  private Future<Long> next(long cursor, long deleted) {
    return pool.withTransaction(conn -> conn.query("SELECT seq FROM muster.event_horizon FOR UPDATE SKIP LOCKED")
        .execute()
        .compose(locked -> {
          if (locked.size() == 0) return Future.succeededFuture((Row) null); // another replica is pruning
          return conn.preparedQuery(BATCH_SQL).execute(Tuple.of(cursor, batch, retention.maxEvents(),
              retention.maxAge() == null ? null : retention.maxAge().toMillis())).map(rows -> rows.iterator().next());
        }))
        .compose(row -> {
          if (row == null) return Future.succeededFuture(deleted);
          long total = deleted + row.getLong("deleted");
          long pageRows = row.getLong("page_rows");
          // More may be old only if this whole page was: the next page starts after it.
          if (pageRows == batch && row.getLong("old_rows") == pageRows) return next(row.getLong("page_end"), total);
          return Future.succeededFuture(total);
        });
  }
}
