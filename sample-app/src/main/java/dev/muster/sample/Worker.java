package dev.muster.sample;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.postgresql.PGConnection;

/**
 * The {@code worker} role: takes one queued job at a time with {@code FOR UPDATE SKIP LOCKED} and does its
 * work in the same transaction, so a job is done exactly once even with many workers, and a worker that
 * dies mid-job leaves it queued for another. When the queue is empty it sleeps on {@code LISTEN sample_jobs}
 * (V8's trigger notifies on every new job) instead of polling.
 *
 * <p>Job kinds: {@code welcome_email} (marks the account welcomed), {@code refresh_account_stats} (today's
 * summary row), {@code purge_finished_jobs} (deletes jobs done over an hour ago). A failing job is retried
 * with backoff, up to {@value #MAX_ATTEMPTS} attempts.
 */
final class Worker implements SampleService.Role {
  static final int MAX_ATTEMPTS = 5;
  /** The longest a worker sleeps without a notification: covers jobs whose run_after is in the future. */
  private static final Duration MAX_IDLE = Duration.ofSeconds(2);

  private final Database db;
  private final String name;
  private final Thread thread;
  private volatile boolean running = true;
  private Connection listener;

  Worker(Database db, String name) {
    this.db = db;
    this.name = name;
    this.thread = new Thread(this::loop, "worker-loop");
  }

  @Override
  public String start() throws SQLException {
    listener = db.connect();
    try (Statement s = listener.createStatement()) {
      s.execute("LISTEN sample_jobs");
    }
    thread.start();
    return "taking jobs (LISTEN sample_jobs, FOR UPDATE SKIP LOCKED)";
  }

  @Override
  public void stop() throws InterruptedException {
    running = false;
    thread.join(MAX_IDLE.toMillis() + 5_000);
  }

  private void loop() {
    Duration backoff = Duration.ofMillis(200);
    while (running) {
      try {
        if (!takeOne()) awaitNotification();
        backoff = Duration.ofMillis(200);
      } catch (SQLException e) {
        if (!running) return;
        Log.error("worker: " + e.getMessage() + "; trying again in " + backoff.toMillis() + " ms");
        try {
          Thread.sleep(backoff.toMillis());
        } catch (InterruptedException interrupted) {
          return;
        }
        backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5)
            : backoff.multipliedBy(2);
        reconnectListener();
      }
    }
  }

  /** Takes and runs one job; false if none is due. */
  private boolean takeOne() throws SQLException {
    Job job;
    try {
      job = db.transaction(c -> {
        Job claimed = claim(c);
        if (claimed == null) return null;
        long started = System.nanoTime();
        run(c, claimed);
        try (PreparedStatement done = c.prepareStatement(
            "UPDATE jobs SET state = 'done', done_at = now(), attempts = attempts + 1, worker = ? WHERE id = ?")) {
          done.setString(1, name);
          done.setLong(2, claimed.id);
          done.executeUpdate();
        }
        return claimed.withMillis((System.nanoTime() - started) / 1_000_000);
      });
    } catch (JobFailed e) {
      recordFailure(e.job, e.getCause());
      return true;
    }
    if (job == null) return false;
    Log.info("done job " + job.id + " " + job.kind + " in " + job.millis + " ms");
    return true;
  }

  private static Job claim(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT id, kind, payload::text, attempts FROM jobs WHERE state = 'queued' AND run_after <= now()"
            + " ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED");
        ResultSet rs = s.executeQuery()) {
      return rs.next() ? new Job(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), 0) : null;
    }
  }

  /** The job's work, in the claiming transaction. */
  private static void run(Connection c, Job job) throws SQLException {
    try {
      switch (job.kind) {
        case "welcome_email" -> welcome(c, job);
        case "refresh_account_stats" -> refreshStats(c);
        case "purge_finished_jobs" -> purge(c);
        default -> throw new IllegalArgumentException("unknown job kind " + job.kind);
      }
    } catch (SQLException | RuntimeException e) {
      throw new JobFailed(job, e);
    }
  }

  private static void welcome(Connection c, Job job) throws SQLException {
    Object id = Json.parseObject(job.payload).get("accountId");
    if (!(id instanceof Long accountId)) throw new IllegalArgumentException("payload has no accountId");
    // A real service would send the e-mail here; the sample records that it did.
    try (PreparedStatement s = c.prepareStatement(
        "UPDATE accounts SET welcomed_at = now() WHERE id = ? AND welcomed_at IS NULL")) {
      s.setLong(1, accountId);
      s.executeUpdate();
    }
  }

  private static void refreshStats(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO account_stats (day, accounts, signups, welcomed, computed_at)"
          + " SELECT current_date, count(*), count(*) FILTER (WHERE created_at >= current_date),"
          + " count(welcomed_at), now() FROM accounts"
          + " ON CONFLICT (day) DO UPDATE SET accounts = EXCLUDED.accounts, signups = EXCLUDED.signups,"
          + " welcomed = EXCLUDED.welcomed, computed_at = EXCLUDED.computed_at");
    }
  }

  private static void purge(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM jobs WHERE state = 'done' AND done_at < now() - interval '1 hour'");
    }
  }

  /** The job's transaction rolled back; record the attempt in a new one and retry later, or give up. */
  private void recordFailure(Job job, Throwable cause) throws SQLException {
    String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    boolean last = job.attempts + 1 >= MAX_ATTEMPTS;
    db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("UPDATE jobs SET attempts = attempts + 1, last_error = ?,"
          + " worker = ?, state = ?, run_after = now() + make_interval(secs => ?) WHERE id = ?")) {
        s.setString(1, message);
        s.setString(2, name);
        s.setString(3, last ? "failed" : "queued");
        s.setDouble(4, Math.pow(2, job.attempts));
        s.setLong(5, job.id);
        return s.executeUpdate();
      }
    });
    Log.error("job " + job.id + " " + job.kind + " failed (attempt " + (job.attempts + 1) + " of " + MAX_ATTEMPTS
        + "): " + message + (last ? "; giving up" : "; will retry"));
  }

  private void awaitNotification() throws SQLException {
    // Blocks until a NOTIFY arrives or MAX_IDLE passes; notifications sent meanwhile are queued on the session.
    listener.unwrap(PGConnection.class).getNotifications((int) MAX_IDLE.toMillis());
  }

  private void reconnectListener() {
    try {
      listener.close();
      listener = db.connect();
      try (Statement s = listener.createStatement()) {
        s.execute("LISTEN sample_jobs");
      }
    } catch (SQLException e) {
      Log.error("worker: cannot LISTEN yet: " + e.getMessage());
    }
  }

  private record Job(long id, String kind, String payload, int attempts, long millis) {
    Job withMillis(long m) {
      return new Job(id, kind, payload, attempts, m);
    }
  }

  /** A job's work failed: its transaction rolls back, then the attempt is recorded. */
  private static final class JobFailed extends RuntimeException {
    final transient Job job;

    JobFailed(Job job, Throwable cause) {
      super(cause.getMessage(), cause, false, false);
      this.job = job;
    }
  }
}
