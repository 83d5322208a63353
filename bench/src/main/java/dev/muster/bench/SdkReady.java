package dev.muster.bench;

import dev.muster.client.MusterClient;
import dev.muster.client.MusterException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What a service whose schema is already ready pays for the SDK (issue 13: at most 100 ms on a cold JVM, 10 ms
 * warm). The orchestrator runs {@code serve} in an OS process of its own; one wait migrates the schema (one quick
 * migration), and every arrival after that is answered from the orchestrator's memory.
 *
 * <ul>
 *   <li><b>Cold</b>: fresh {@code java} processes, interleaved (the order rotates each round), of a service jar
 *       built here — the SDK's classes and two mains: {@link EmptyService} and {@link WaitingService} — with the
 *       same JVM options and environment; wall time from start to exit as the bench sees it. The same arrival with
 *       {@code curl}, process included, when curl is installed: what the orchestrator's answer costs on its own.
 *   <li><b>Warm</b>: in this JVM, after a warm-up, successive waits, a new client and instance each time.
 * </ul>
 */
final class SdkReady {
  static final String SERVICE = "bench-sdk";
  static final int WARMUP_WAITS = 50;
  static final int WARMUP_COLD_RUNS = 2;
  private static final long PROCESS_TIMEOUT_SECONDS = 60;

  /** CPU figures are means over the runs, in ms, of every thread of the process; NaN where unknown (off Linux). */
  record Result(String version, int coldRuns, Stats emptyJvm, Stats sdkJvm, Stats pairedCost, Stats curl,
      double emptyCpuMs, double sdkCpuMs, double curlCpuMs, int coldFailures, int warmups, Stats warm, int warmFailures, List<String> jvmOptions, long serviceJarBytes,
      String sdkSource, List<String> orchestratorJvmOptions) {
    /** The figure issue 13 bounds: the median JVM with the SDK minus the median empty JVM. */
    double coldCostMs() {
      return sdkJvm.p50() - emptyJvm.p50();
    }

    boolean problems() {
      return coldFailures > 0 || warmFailures > 0;
    }

    JsonObject json() {
      JsonObject cold = new JsonObject().put("runs", coldRuns).put("emptyJvm", emptyJvm.json())
          .put("sdkJvm", sdkJvm.json()).put("pairedCost", pairedCost.json())
          .put("cpuMeanMs", new JsonObject().put("emptyJvm", Stats.round(emptyCpuMs)).put("sdkJvm", Stats.round(sdkCpuMs))
              .put("curl", Stats.round(curlCpuMs)))
          .put("costP50Ms", Stats.round(coldCostMs())).put("costP90Ms", Stats.round(sdkJvm.p90() - emptyJvm.p90()))
          .put("failures", coldFailures).put("jvmOptions", new JsonArray(jvmOptions))
          .put("serviceJarBytes", serviceJarBytes).put("sdkClassesFrom", sdkSource);
      if (curl != null) cold.put("curl", curl.json());
      return new JsonObject().put("version", version).put("orchestratorJvmOptions", new JsonArray(orchestratorJvmOptions))
          .put("cold", cold)
          .put("warm", warm.json().put("warmups", warmups).put("failures", warmFailures));
    }
  }

  private SdkReady() {}

  /**
   * @param sdkJar where the cold JVMs' SDK classes come from, such as a release's {@code muster-client-sdk.jar} to
   *     compare with; {@code null}: the bench's own (the warm waits always use the bench's own)
   */
  static Result run(BenchDatabase db, Path work, int coldRuns, int warmWaits, boolean warmup, List<String> jvmOptions,
      Path sdkJar) throws Exception {
    Path dir = Files.createDirectories(work.resolve("sdk-ready"));
    MigrationSet set = MigrationSet.single(dir.resolve("migrations"));
    String schema = db.newSchema("sdk");
    try (OrchestratorProcess orchestrator = OrchestratorProcess.start(db, dir, set, "bench-sdk", List.of())) {
      String url = orchestrator.url();
      String version = client(url, schema, "first").awaitReady().version();
      Progress.say("sdk-ready: schema " + schema + " ready at version " + version);
      if (warmup) {
        Progress.say("sdk-ready: warm-up, " + WARMUP_WAITS + " waits here and " + WARMUP_COLD_RUNS
            + " cold runs of each kind (not counted)");
        warm(url, schema, "warmup-", WARMUP_WAITS, new int[1]);
      }
      Path sdk = sdkJar != null ? sdkJar
          : Path.of(MusterClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path jar = serviceJar(dir.resolve("service.jar"), sdk);
      boolean curl = curlInstalled();
      Cold cold = new Cold(url, schema, jar, jvmOptions, curl, dir);
      if (warmup) {
        for (int i = 0; i < WARMUP_COLD_RUNS; i++) cold.round(i, false);
      }
      Progress.say("sdk-ready: " + coldRuns + " cold rounds (empty JVM, JVM with the SDK" + (curl ? ", curl" : "")
          + ")");
      for (int i = 0; i < coldRuns; i++) cold.round(i, true);
      Progress.say("sdk-ready: " + warmWaits + " warm waits");
      int[] warmFailures = new int[1];
      List<Double> warm = warm(url, schema, "warm-", warmWaits, warmFailures);
      return new Result(version, coldRuns, Stats.of(cold.empty), Stats.of(cold.sdk), Stats.of(cold.paired),
          curl ? Stats.of(cold.curl) : null, mean(cold.emptyCpu), mean(cold.sdkCpu), mean(cold.curlCpu), cold.failures, warmup ? WARMUP_WAITS : 0, Stats.of(warm),
          warmFailures[0], List.copyOf(jvmOptions), Files.size(jar), sdkJar == null ? "this bench" : sdkJar.toString(),
          orchestrator.jvmOptions());
    }
  }

  private static MusterClient client(String url, String schema, String instance) {
    return MusterClient.builder().url(url).service(SERVICE).instance(instance).schema(schema)
        .timeout(Duration.ofSeconds(PROCESS_TIMEOUT_SECONDS)).build();
  }

  /** Successive waits, each a new client with an instance of its own; the milliseconds of each that succeeded. */
  private static List<Double> warm(String url, String schema, String prefix, int n, int[] failures)
      throws InterruptedException {
    List<Double> samples = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      try {
        client(url, schema, prefix + i).awaitReady();
        samples.add((System.nanoTime() - t0) / 1e6);
      } catch (MusterException e) {
        failures[0]++;
        Progress.say("sdk-ready: a warm wait failed: " + e.getMessage());
      }
    }
    return samples;
  }

  /** A process that ran: wall time from start to exit, and the CPU time of all its threads (NaN if unknown). */
  private record Ran(double wallMs, double cpuMs) {}

  /** The cold rounds: each runs the kinds once, in an order that rotates, so that no kind always goes first. */
  private static final class Cold {
    final List<Double> empty = new ArrayList<>();
    final List<Double> sdk = new ArrayList<>();
    final List<Double> paired = new ArrayList<>();
    final List<Double> curl = new ArrayList<>();
    final List<Double> emptyCpu = new ArrayList<>();
    final List<Double> sdkCpu = new ArrayList<>();
    final List<Double> curlCpu = new ArrayList<>();
    int failures;
    private final String url;
    private final String schema;
    private final Path jar;
    private final List<String> jvmOptions;
    private final boolean withCurl;
    private final Path dir;

    Cold(String url, String schema, Path jar, List<String> jvmOptions, boolean withCurl, Path dir) {
      this.url = url;
      this.schema = schema;
      this.jar = jar;
      this.jvmOptions = jvmOptions;
      this.withCurl = withCurl;
      this.dir = dir;
    }

    void round(int i, boolean counted) throws Exception {
      int kinds = withCurl ? 3 : 2;
      Ran emptyRun = null;
      Ran sdkRun = null;
      for (int k = 0; k < kinds; k++) {
        switch ((i + k) % kinds) {
          case 0 -> emptyRun = java(EmptyService.class);
          case 1 -> sdkRun = java(WaitingService.class);
          default -> {
            Ran ran = curl(i, counted);
            if (!counted) continue;
            if (ran == null) {
              failures++;
            } else {
              curl.add(ran.wallMs());
              curlCpu.add(ran.cpuMs());
            }
          }
        }
      }
      if (!counted) return;
      if (emptyRun == null || sdkRun == null) {
        failures++;
        return;
      }
      empty.add(emptyRun.wallMs());
      sdk.add(sdkRun.wallMs());
      paired.add(sdkRun.wallMs() - emptyRun.wallMs());
      emptyCpu.add(emptyRun.cpuMs());
      sdkCpu.add(sdkRun.cpuMs());
    }

    /** One fresh JVM of the service jar; {@code null} if it did not exit 0. */
    private Ran java(Class<?> main) throws Exception {
      List<String> command = new ArrayList<>(List.of(OrchestratorProcess.java()));
      command.addAll(jvmOptions);
      command.addAll(List.of("-cp", jar.toString(), main.getName()));
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("services.log").toFile()));
      Map<String, String> env = pb.environment();
      env.keySet().removeIf(name -> name.startsWith("MUSTER_")); // only what this run sets
      env.putAll(Map.of("MUSTER_URL", url, "MUSTER_SERVICE", SERVICE, "MUSTER_SCHEMA", schema,
          "MUSTER_TIMEOUT", String.valueOf(PROCESS_TIMEOUT_SECONDS)));
      return timed(pb, null);
    }

    /** The same arrival from curl, following the stream to its end; {@code null} unless it ended with the release. */
    private Ran curl(int i, boolean counted) throws Exception {
      String instance = (counted ? "curl-" : "curl-warmup-") + i;
      String body = new JsonObject().put("service", SERVICE).put("instance", instance).put("schema", schema)
          .put("timeoutSeconds", PROCESS_TIMEOUT_SECONDS).encode();
      Path out = dir.resolve("curl.out");
      ProcessBuilder pb = new ProcessBuilder("curl", "-sS", "-N", "--max-time", String.valueOf(PROCESS_TIMEOUT_SECONDS),
          "-o", out.toString(), "-X", "POST", "-H", "Accept: text/event-stream", "-H", "Content-Type: application/json",
          "--data-binary", body, url + "/api/v1/arrivals")
          .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("curl.log").toFile()));
      return timed(pb, out);
    }

    /** Runs it to its end; {@code null} if it failed, or if {@code output} lacks this instance's release. */
    private static Ran timed(ProcessBuilder pb, Path output) throws Exception {
      double cpuBefore = reapedChildrenCpuMs();
      long t0 = System.nanoTime();
      Process p = pb.start();
      if (!p.waitFor(PROCESS_TIMEOUT_SECONDS + 10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      double cpu = reapedChildrenCpuMs() - cpuBefore; // the one child reaped meanwhile: this one
      if (p.exitValue() != 0) return null;
      if (output != null && !Files.readString(output).contains("service.released")) return null;
      return new Ran(ms, cpu);
    }
  }

  /**
   * The CPU time of this JVM's children that have exited and been waited for ({@code cutime + cstime} of {@code
   * /proc/self/stat}), in ms, to a clock tick (taken as 1/100 s, Linux's USER_HZ): one process's is coarse, a mean
   * over tens of runs is not. Unlike wall time it hardly moves with what else the machine runs. NaN off Linux.
   */
  static double reapedChildrenCpuMs() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // After "pid (comm) ", fields start at the 3rd (state): cutime is the 16th, cstime the 17th.
      return (Long.parseLong(fields[13]) + Long.parseLong(fields[14])) * 10.0;
    } catch (IOException | RuntimeException notLinux) {
      return Double.NaN;
    }
  }

  private static double mean(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }

  /**
   * A service's jar as small as it gets: the SDK's classes (from {@code sdk}: a jar, such as the bench's shaded one,
   * or a folder of classes, as under a test) and the two mains. A service would carry it the same way, without the
   * bench's 50 MB of dependencies on its class path.
   */
  static Path serviceJar(Path jar, Path sdk) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    String sdkPackage = "dev/muster/client/";
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      if (Files.isDirectory(sdk)) {
        try (Stream<Path> files = Files.walk(sdk.resolve(sdkPackage))) {
          for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
            try (InputStream in = Files.newInputStream(file)) {
              add(out, sdk.relativize(file).toString().replace('\\', '/'), in);
            }
          }
        }
      } else {
        try (ZipFile zip = new ZipFile(sdk.toFile())) {
          for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
            ZipEntry entry = entries.nextElement();
            if (entry.isDirectory() || !entry.getName().startsWith(sdkPackage)) continue;
            try (InputStream in = zip.getInputStream(entry)) {
              add(out, entry.getName(), in);
            }
          }
        }
      }
      for (Class<?> main : List.of(EmptyService.class, WaitingService.class)) {
        String name = main.getName().replace('.', '/') + ".class";
        try (InputStream in = SdkReady.class.getClassLoader().getResourceAsStream(name)) {
          if (in == null) throw new IOException("no " + name + " on the class path");
          add(out, name, in);
        }
      }
    }
    return jar;
  }

  private static void add(JarOutputStream out, String name, InputStream in) throws IOException {
    out.putNextEntry(new JarEntry(name));
    in.transferTo(out);
    out.closeEntry();
  }

  private static boolean curlInstalled() {
    try {
      Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  static void print(Result r, PrintStream out) {
    out.println("## sdk-ready: the SDK on a schema that is already ready (orchestrator `serve` in its own process)");
    out.println();
    out.println("Cold: " + r.coldRuns + " rounds of fresh processes, interleaved, wall time from start to exit and CPU "
        + "time (all threads, mean); JVM options: " + (r.jvmOptions.isEmpty() ? "none" : String.join(" ", r.jvmOptions))
        + "; service jar " + r.serviceJarBytes / 1024 + " KiB (the SDK and two mains), the SDK from " + r.sdkSource
        + ". Warm: in one JVM after " + r.warmups + " waits, a new client and instance each time. Schema ready at "
        + "version " + r.version + ". Orchestrator JVM options: " + String.join(" ", r.orchestratorJvmOptions) + ".");
    out.println();
    Table t = new Table("what", "count", "p50", "p90", "p99", "max", "CPU");
    t.row(Table.concat(new Object[] {"cold: empty JVM"}, Table.concat(Table.cells(r.emptyJvm), Stats.ms(r.emptyCpuMs))));
    t.row(Table.concat(new Object[] {"cold: JVM that waits with the SDK"},
        Table.concat(Table.cells(r.sdkJvm), Stats.ms(r.sdkCpuMs))));
    t.row(Table.concat(new Object[] {"cold: the SDK's cost, each round (SDK − empty)"},
        Table.concat(Table.cells(r.pairedCost), Stats.ms(r.sdkCpuMs - r.emptyCpuMs))));
    if (r.curl != null) {
      t.row(Table.concat(new Object[] {"cold: curl, the same arrival"}, Table.concat(Table.cells(r.curl),
          Stats.ms(r.curlCpuMs))));
    }
    t.row(Table.concat(new Object[] {"warm: one SDK wait"}, Table.concat(Table.cells(r.warm), "")));
    t.print(out);
    out.println();
    out.println("The SDK's cold cost: " + signed(r.coldCostMs()) + " at p50 (target ≤ 100 ms: "
        + (r.coldCostMs() <= 100 ? "met" : "NOT met") + "), " + signed(r.sdkJvm.p90() - r.emptyJvm.p90())
        + " at p90, " + signed(r.sdkCpuMs - r.emptyCpuMs) + " of CPU; warm p50 " + Stats.ms(r.warm.p50())
        + " (target ≤ 10 ms: " + (r.warm.p50() <= 10 ? "met" : "NOT met") + "), p99 " + Stats.ms(r.warm.p99()) + "."
        + (r.problems() ? " FAILED: " + r.coldFailures + " cold runs, " + r.warmFailures + " warm waits." : ""));
    out.println();
  }

  private static String signed(double ms) {
    return (ms >= 0 ? "+" : "") + Stats.ms(ms);
  }
}
