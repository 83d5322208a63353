package dev.muster.sample;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The {@code beat} role: enqueues periodic jobs. Ticks are aligned to multiples of the interval and each job
 * carries its slot as {@code dedupe_key} (unique since V10), so a second beat instance, or a restart within
 * a slot, never enqueues the same slot twice.
 */
final class Beat implements SampleService.Role {
  /** Every this many ticks, old finished jobs are purged. */
  static final int PURGE_EVERY = 30;

  private final Database db;
  private final Duration interval;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "beat-timer");
    t.setDaemon(false);
    return t;
  });

  Beat(Database db, Duration interval) {
    this.db = db;
    this.interval = interval;
  }

  @Override
  public String start() {
    timer.execute(this::tick); // the current slot at once, then on each boundary
    long periodMs = interval.toMillis();
    long untilBoundary = periodMs - Instant.now().toEpochMilli() % periodMs;
    timer.scheduleAtFixedRate(this::tick, untilBoundary, periodMs, TimeUnit.MILLISECONDS);
    return "enqueuing refresh_account_stats every " + interval.toSeconds() + " s";
  }

  @Override
  public void stop() throws InterruptedException {
    timer.shutdownNow();
    timer.awaitTermination(5, TimeUnit.SECONDS);
  }

  private void tick() {
    long slot = Instant.now().toEpochMilli() / interval.toMillis();
    try {
      enqueue("refresh_account_stats", slot);
      if (slot % PURGE_EVERY == 0) enqueue("purge_finished_jobs", slot);
    } catch (SQLException e) {
      // The next tick tries again; a missed slot only delays the summary.
      Log.error("beat: could not enqueue: " + e.getMessage());
    }
  }

  private void enqueue(String kind, long slot) throws SQLException {
    String key = kind + ":" + slot * interval.toSeconds();
    int inserted = db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement(
          "INSERT INTO jobs (kind, dedupe_key) VALUES (?, ?) ON CONFLICT (dedupe_key) DO NOTHING")) {
        s.setString(1, kind);
        s.setString(2, key);
        return s.executeUpdate();
      }
    });
    Log.info(inserted == 1 ? "enqueued " + key : key + " was enqueued already");
  }
}
