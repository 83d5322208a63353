package dev.muster.bench;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;

/**
 * A distribution of durations in milliseconds: count, p50, p90, p99, max. Percentiles are nearest-rank (the
 * smallest sample with at least p % of the samples at or below it), so every figure is a value that was
 * actually measured; with fewer than 100 samples p99 is the maximum.
 */
public record Stats(int count, double p50, double p90, double p99, double max, double min, double mean) {

  public static Stats of(Collection<Double> samplesMs) {
    double[] sorted = samplesMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return of(sorted);
  }

  public static Stats of(double[] samplesMs) {
    double[] sorted = samplesMs.clone();
    Arrays.sort(sorted);
    if (sorted.length == 0) return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    return new Stats(sorted.length, rank(sorted, 50), rank(sorted, 90), rank(sorted, 99), sorted[sorted.length - 1],
        sorted[0], Arrays.stream(sorted).average().orElse(Double.NaN));
  }

  private static double rank(double[] sorted, double percent) {
    int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  public JsonObject json() {
    return new JsonObject().put("count", count).put("p50Ms", round(p50)).put("p90Ms", round(p90))
        .put("p99Ms", round(p99)).put("maxMs", round(max)).put("minMs", round(min)).put("meanMs", round(mean));
  }

  /** {@code 0.42 ms}, {@code 12.3 ms}, {@code 1,234 ms}: three significant figures are plenty on a shared box. */
  public static String ms(double value) {
    if (Double.isNaN(value)) return "–";
    double abs = Math.abs(value);
    if (abs < 10) return String.format(Locale.ROOT, "%.2f ms", value);
    if (abs < 100) return String.format(Locale.ROOT, "%.1f ms", value);
    return String.format(Locale.ROOT, "%,.0f ms", value);
  }

  static Double round(double value) {
    return Double.isNaN(value) ? null : Math.round(value * 1000) / 1000.0;
  }
}
