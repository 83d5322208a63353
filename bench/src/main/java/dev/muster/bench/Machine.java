package dev.muster.bench;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** What the figures were measured on: they mean little without it. */
record Machine(String date, int cores, double loadAverage, double othersBusyPercent, String jdk, String os, long memoryMiB, String database,
    String postgres, String synchronousCommit, String fsync, String sharedBuffers, double clockOffsetMs) {

  static Machine describe(BenchDatabase db) {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    long memory = -1;
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) memory = sun.getTotalMemorySize() >> 20;
    return new Machine(
        OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString(),
        Runtime.getRuntime().availableProcessors(),
        os.getSystemLoadAverage(),
        busyPercent(),
        System.getProperty("java.vm.name") + " " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")",
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
        memory,
        db.isEmbedded() ? "embedded (zonky), same host" : db.url().toString(),
        db.queryString("SHOW server_version"),
        db.queryString("SHOW synchronous_commit"),
        db.queryString("SHOW fsync"),
        db.queryString("SHOW shared_buffers"),
        clockOffsetMs(db));
  }

  /**
   * The database clock minus this JVM's, estimated NTP-style from a round trip. The latencies that start at a
   * database timestamp assume it is about zero; on one host it is (one clock), within the round trip.
   */
  private static double clockOffsetMs(BenchDatabase db) {
    try (java.sql.Connection c = db.connect();
        java.sql.PreparedStatement st = c.prepareStatement("SELECT clock_timestamp()")) {
      double best = Double.NaN;
      long bestRtt = Long.MAX_VALUE;
      for (int i = 0; i < 20; i++) {
        long n0 = System.nanoTime();
        Instant before = Instant.now();
        Instant server;
        try (java.sql.ResultSet rs = st.executeQuery()) {
          rs.next();
          server = rs.getObject(1, java.time.OffsetDateTime.class).toInstant();
        }
        long rtt = System.nanoTime() - n0;
        if (rtt < bestRtt) {
          bestRtt = rtt;
          best = Duration.between(before.plusNanos(rtt / 2), server).toNanos() / 1e6;
        }
      }
      return best;
    } catch (java.sql.SQLException e) {
      return Double.NaN;
    }
  }

  /**
   * How busy the CPUs were over one second before the bench began, from {@code /proc/stat}: what else runs on
   * the machine. (The load average after a run is mostly the bench's own client threads.) NaN off Linux.
   */
  private static double busyPercent() {
    try {
      long[] a = cpuTimes();
      Thread.sleep(1000);
      long[] b = cpuTimes();
      long total = b[0] - a[0];
      return total <= 0 ? Double.NaN : 100.0 * (total - (b[1] - a[1])) / total;
    } catch (Exception e) {
      return Double.NaN;
    }
  }

  /** Total and idle (idle + iowait) jiffies of all CPUs. */
  private static long[] cpuTimes() throws java.io.IOException {
    String[] f = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]);
    return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
  }

  JsonObject json() {
    return new JsonObject().put("date", date).put("cores", cores).put("loadAverage1m", loadAverage)
        .put("cpuBusyBeforePercent", Stats.round(othersBusyPercent)).put("jdk", jdk)
        .put("os", os).put("memoryMiB", memoryMiB).put("database", database).put("postgres", postgres)
        .put("synchronousCommit", synchronousCommit).put("fsync", fsync).put("sharedBuffers", sharedBuffers)
        .put("clockOffsetMs", Stats.round(clockOffsetMs));
  }

  void print(PrintStream out, double loadAtEnd) {
    out.println("# Muster benchmarks, " + date);
    out.println();
    out.println(String.format(Locale.ROOT, "- machine: %d cores, %,d MiB, %s", cores, memoryMiB, os));
    out.println(String.format(Locale.ROOT, "- before the run: CPUs %.0f %% busy (other processes), load average %.2f;"
        + " after it: load average %.2f (mostly the bench's own client threads)", othersBusyPercent, loadAverage,
        loadAtEnd));
    out.println("- JDK: " + jdk);
    out.println("- PostgreSQL " + postgres + ", " + database + "; synchronous_commit=" + synchronousCommit + ", fsync="
        + fsync + ", shared_buffers=" + sharedBuffers);
    out.println(String.format(Locale.ROOT, "- clock offset database − JVM: %.3f ms%s", clockOffsetMs,
        Math.abs(clockOffsetMs) > 1 ? " (WARNING: latencies measured from database timestamps are off by this much)"
            : ""));
    out.println();
  }
}
