package dev.muster.orchestrator.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Muster's own schema (the event log) can be used, and its repair when it cannot: an operator's
 * {@code DROP SCHEMA muster}, a restore without it. Readiness asks {@link #check}; a replica asks it every few
 * seconds too, since PostgreSQL tells nobody of a dropped schema. The schema is bootstrapped again and its counter
 * set past the last event this replica saw, so that numbers keep rising and no replica skips the new events as
 * already seen. What the dropped log held is gone; the schemas' own state is read again from Flyway.
 */
public final class LogRecovery {
  private static final Logger log = LoggerFactory.getLogger(LogRecovery.class);
  private static final String CHECK = "SELECT seq FROM muster.event_counter";
  private static final String NUMBER_ON = "UPDATE muster.event_counter SET seq = GREATEST(seq, $1)";

  private final Pool pool;
  private final Supplier<Future<Void>> bootstrap;
  private final LongSupplier lastSeq;
  private Future<Void> recovering;

  /**
   * @param bootstrap creates Muster's own objects ({@link Bootstrap#run})
   * @param lastSeq   the last event number this replica saw (its feed's position)
   */
  public LogRecovery(Pool pool, Supplier<Future<Void>> bootstrap, LongSupplier lastSeq) {
    this.pool = pool;
    this.bootstrap = bootstrap;
    this.lastSeq = lastSeq;
  }

  /**
   * Completes with whether the log can be used now; when its schema or tables are gone, starts bootstrapping
   * them again (once at a time) and completes with false. Fails when the database cannot be asked at all.
   */
  public Future<Boolean> check() {
    return pool.query(CHECK).execute().map(rows -> rows.size() == 1).recover(e -> {
      if (!missing(e)) return Future.failedFuture(e);
      recover();
      return Future.succeededFuture(false);
    });
  }

  private void recover() {
    if (recovering != null) return;
    long seq = Math.max(0, lastSeq.getAsLong());
    log.error("Muster's own schema is gone or incomplete (was it dropped?); creating it again, numbering events on"
        + " from #{}", seq);
    recovering = bootstrap.get()
        .compose(v -> pool.preparedQuery(NUMBER_ON).execute(Tuple.of(seq)).<Void>mapEmpty())
        .onSuccess(v -> log.info("Muster's own schema is back; events are numbered on from #{}", seq))
        .onFailure(e -> log.warn("Could not create Muster's own schema again: {}", e.getMessage()))
        .onComplete(ar -> recovering = null);
  }

  /** SQLSTATE 3F000 (no such schema) or 42P01 (no such table) about Muster's own objects. */
  public static boolean missing(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.vertx.pgclient.PgException pg) {
        String state = pg.getSqlState();
        if (("3F000".equals(state) || "42P01".equals(state)) && String.valueOf(pg.getMessage()).contains("muster")) {
          return true;
        }
      }
    }
    return false;
  }
}
