package dev.muster.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar muster-bench.jar --scenario all}: Muster's benchmarks against a real PostgreSQL — an
 * embedded one of their own unless {@code --database-url} names another. Results go to standard output as
 * Markdown tables (or JSON with {@code --json}); progress to standard error.
 */
@Command(name = "muster-bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Muster's benchmarks on a real PostgreSQL: fan-out, fleet start against plain Flyway, failure "
        + "propagation, the event log. See docs/benchmarks.md.",
        "Use a scratch database: the bench creates schemas bench_*, drops them at the end, and appends its own "
            + "events to muster.events."})
public final class Main implements Callable<Integer> {

  enum Scenario { FAN_OUT, FLEET_FAN_OUT, FLEET, FAILURE, EVENTS, TENANTS, LOCK_QUEUE, SDK_READY, ALL }

  @Option(names = "--scenario", paramLabel = "NAME", description = "fan-out, fleet-fan-out, fleet, failure, events, tenants, lock-queue, sdk-ready (these three not in all) or all "
      + "(default: ${DEFAULT-VALUE}); may be repeated", defaultValue = "all", converter = ScenarioConverter.class)
  List<Scenario> scenarios = new ArrayList<>();

  @Option(names = "--database-url", paramLabel = "URL", description = "postgresql://user:pass@host:port/db?sslmode=…, "
      + "as for the orchestrator; it shows in ps: prefer MUSTER_DATABASE_URL, which the bench reads as the "
      + "orchestrator does (with MUSTER_DATABASE_PASSWORD_FILE, MUSTER_DATABASE_SSLMODE, …); default: an embedded "
      + "PostgreSQL started for the run (synchronous_commit=on)")
  String databaseUrl;

  @Option(names = "--replicas", description = "orchestrator replicas, in-process (default: ${DEFAULT-VALUE})",
      defaultValue = "2")
  int replicas;

  @Option(names = "--clients", split = ",", paramLabel = "N", description = "fan-out: waiting clients, a sweep "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "10,100,500")
  List<Integer> clients;

  @Option(names = "--fleet-clients", split = ",", paramLabel = "N", description = "fleet-fan-out: waiting services, "
      + "in " + FleetFanOut.PROCESSES + " OS processes against an orchestrator process, a sweep (default: ${DEFAULT-VALUE})",
      defaultValue = "1,10,100,1000")
  List<Integer> fleetClients;

  @Option(names = "--fleet-migrations", description = "fleet-fan-out: migrations a run applies, the second held at "
      + "the gate, the rest quick (default: ${DEFAULT-VALUE})", defaultValue = "2")
  int fleetMigrations;

  @Option(names = "--orchestrator-jvm-option", paramLabel = "OPTION", description = "fleet-fan-out: an option of "
      + "the orchestrator's JVM, e.g. -XX:StartFlightRecording=filename=/tmp/o.jfr; may be repeated")
  List<String> orchestratorJvmOptions = new ArrayList<>();

  @Option(names = "--instances", description = "fleet: instances starting at once (default: ${DEFAULT-VALUE})",
      defaultValue = "20")
  int instances;

  @Option(names = "--migrations", paramLabel = "LOCATION", description = "fleet: Flyway location of the migrations, "
      + "e.g. filesystem:/path (default: the sample app's set bundled in the jar)")
  String migrations;

  @Option(names = "--waiters", split = ",", paramLabel = "N", description = "failure: waiting clients, a sweep "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "10,100,500")
  List<Integer> waiters;

  @Option(names = "--paced-appends", description = "events: appends one at a time, for delivery latency "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "2000")
  int pacedAppends;

  @Option(names = "--appends", description = "events: appends per throughput run (default: ${DEFAULT-VALUE})",
      defaultValue = "10000")
  int appends;

  @Option(names = "--in-flight", split = ",", paramLabel = "N", description = "events: appends in flight, a sweep "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "1,8,64")
  List<Integer> inFlight;

  @Option(names = "--arrivals", description = "events: 202 arrivals over HTTP; 0 skips them (default: "
      + "${DEFAULT-VALUE})", defaultValue = "2000")
  int arrivals;

  @Option(names = "--arrivals-in-flight", description = "events: HTTP arrivals in flight (default: ${DEFAULT-VALUE})",
      defaultValue = "32")
  int arrivalsInFlight;

  @Option(names = "--tenants", description = "tenants: schemas (default: ${DEFAULT-VALUE})", defaultValue = "1000")
  int tenants;

  @Option(names = "--tenant-migrations", description = "tenants: migrations per schema (default: ${DEFAULT-VALUE})",
      defaultValue = "20")
  int tenantMigrations;

  @Option(names = "--max-parallel", description = "tenants: MUSTER_MAX_PARALLEL for migrate --all (default: "
      + "${DEFAULT-VALUE})", defaultValue = "4")
  int maxParallel;

  @Option(names = "--repeat", description = "runs of each size; figures pool every run (default: ${DEFAULT-VALUE})",
      defaultValue = "1")
  int repeat;

  @Option(names = "--no-warmup", description = "skip the uncounted small round each scenario runs first, so that "
      + "class loading and JIT are not measured")
  boolean noWarmup;

  @Option(names = "--lock-hold", paramLabel = "SECONDS", description = "lock-queue: how long the application "
      + "transaction holds its lock (default: ${DEFAULT-VALUE})", defaultValue = "8")
  int lockHold;

  @Option(names = "--sdk-cold-runs", paramLabel = "N", description = "sdk-ready: rounds of fresh JVMs, each an "
      + "empty one, one that waits with the SDK, and curl (default: ${DEFAULT-VALUE})", defaultValue = "31")
  int sdkColdRuns;

  @Option(names = "--sdk-warm-waits", paramLabel = "N", description = "sdk-ready: successive SDK waits in one JVM "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "1000")
  int sdkWarmWaits;

  @Option(names = "--service-jvm-option", paramLabel = "OPTION", description = "sdk-ready: an option of both cold "
      + "JVMs, e.g. -Xshare:off or -Xlog:class+load:file=/tmp/c.log; may be repeated")
  List<String> serviceJvmOptions = new ArrayList<>();

  @Option(names = "--sdk-jar", paramLabel = "JAR", description = "sdk-ready: the cold JVMs' SDK classes from this "
      + "jar (e.g. another build's muster-client-sdk.jar, to compare); default: the bench's own")
  Path sdkJar;

  @Option(names = "--json", description = "results as one JSON object on standard output")
  boolean json;

  @Option(names = "--verbose", description = "the orchestrator's and Flyway's logs at INFO")
  boolean verbose;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (replicas < 1 || instances < 1 || repeat < 1 || arrivalsInFlight < 1 || arrivals < 0 || pacedAppends < 1
        || appends < 1 || fleetMigrations < 2 || sdkColdRuns < 1 || sdkWarmWaits < 1
        || Stream.of(clients, fleetClients, waiters, inFlight).flatMap(List::stream).anyMatch(n -> n < 1)) {
      System.err.println("muster-bench: sizes must be at least 1 (--arrivals at least 0)");
      return 2;
    }
    quietLogs(verbose);
    boolean warmup = !noWarmup;
    Set<Scenario> chosen = EnumSet.noneOf(Scenario.class);
    for (Scenario s : scenarios) {
      if (s == Scenario.ALL) chosen.addAll(EnumSet.of(Scenario.FAN_OUT, Scenario.FLEET_FAN_OUT, Scenario.FLEET, Scenario.FAILURE, Scenario.EVENTS));
      else chosen.add(s);
    }
    Path work = Files.createTempDirectory("muster-bench");
    DatabaseUrl url = MusterConfig.database(flag -> flag.equals("--database-url") ? databaseUrl : null,
        System.getenv());
    Progress.say(url == null ? "starting an embedded PostgreSQL" : "using " + url);
    try (BenchDatabase db = url == null ? BenchDatabase.embedded() : BenchDatabase.external(url)) {
      Machine machine = Machine.describe(db);
      Results results = run(db, work, chosen, warmup);
      double loadAtEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      PrintStream out = System.out;
      if (json) {
        out.println(results.json().put("machine", machine.json().put("loadAverage1mAtEnd", loadAtEnd))
            .put("repeat", repeat).put("warmup", warmup).encodePrettily());
      } else {
        machine.print(out, loadAtEnd);
        results.print(out);
      }
      return results.problems() ? 1 : 0;
    } finally {
      deleteTree(work);
    }
  }

  /** What the chosen scenarios measured. */
  record Results(List<FanOut.Result> fanOut, FleetFanOut.Result fleetFanOut, FleetStart.Result fleet,
      List<FailurePropagation.Result> failure, EventLog.Result events, Tenants.Result tenants,
      List<LockQueue.Result> lockQueue, SdkReady.Result sdkReady) {
    JsonObject json() {
      JsonObject json = new JsonObject();
      if (fanOut != null) json.put("fanOut", new JsonArray(fanOut.stream().map(FanOut.Result::json).toList()));
      if (fleetFanOut != null) json.put("fleetFanOut", fleetFanOut.json());
      if (fleet != null) json.put("fleet", fleet.json());
      if (failure != null) json.put("failure", new JsonArray(failure.stream().map(FailurePropagation.Result::json).toList()));
      if (events != null) json.put("events", events.json());
      if (tenants != null) json.put("tenants", tenants.json());
      if (lockQueue != null) json.put("lockQueue", LockQueue.json(lockQueue));
      if (sdkReady != null) json.put("sdkReady", sdkReady.json());
      return json;
    }

    void print(PrintStream out) {
      if (fanOut != null) FanOut.print(fanOut, out);
      if (fleetFanOut != null) FleetFanOut.print(fleetFanOut, out);
      if (fleet != null) FleetStart.print(fleet, out);
      if (failure != null) FailurePropagation.print(failure, out);
      if (events != null) EventLog.print(events, out);
      if (tenants != null) Tenants.print(tenants, out);
      if (lockQueue != null) LockQueue.print(lockQueue, out);
      if (sdkReady != null) SdkReady.print(sdkReady, out);
    }

    /** Behaviour that was wrong: a client not released, a waiter not failed, an instance that did not start. */
    boolean problems() {
      boolean bad = fanOut != null && fanOut.stream().anyMatch(r -> r.released() != r.expected());
      bad |= fleetFanOut != null && fleetFanOut.rounds().stream().anyMatch(r -> !r.allReleased());
      bad |= failure != null && failure.stream().anyMatch(r -> r.failedAsExpected() != r.expected());
      bad |= fleet != null && (fleet.muster().succeeded() != fleet.muster().expected()
          || fleet.flyway().succeeded() != fleet.flyway().expected());
      bad |= events != null && events.arrivals() != null && events.arrivals().accepted() != events.arrivals().arrivals();
      bad |= tenants != null && (tenants.muster().exit() != 0 || tenants.muster().noOpExit() != 0);
      bad |= sdkReady != null && sdkReady.problems();
      return bad;
    }
  }

  private Results run(BenchDatabase db, Path work, Set<Scenario> chosen, boolean warmup) throws Exception {
    List<FanOut.Result> fanOut = chosen.contains(Scenario.FAN_OUT)
        ? FanOut.run(db, work, replicas, clients, repeat, warmup) : null;
    FleetFanOut.Result fleetFanOut = chosen.contains(Scenario.FLEET_FAN_OUT)
        ? FleetFanOut.run(db, work, fleetClients, warmup, orchestratorJvmOptions, fleetMigrations, repeat) : null;
    FleetStart.Result fleet = chosen.contains(Scenario.FLEET)
        ? FleetStart.run(db, work, replicas, instances, repeat, warmup, migrations) : null;
    List<FailurePropagation.Result> failure = chosen.contains(Scenario.FAILURE)
        ? FailurePropagation.run(db, work, replicas, waiters, repeat, warmup) : null;
    EventLog.Result events = chosen.contains(Scenario.EVENTS)
        ? EventLog.run(db, work, replicas, pacedAppends, appends, inFlight, arrivals, arrivalsInFlight, warmup) : null;
    Tenants.Result tenantsResult = chosen.contains(Scenario.TENANTS)
        ? Tenants.run(db, work, tenants, tenantMigrations, maxParallel) : null;
    List<LockQueue.Result> lockQueue = chosen.contains(Scenario.LOCK_QUEUE) ? LockQueue.run(db, work, lockHold) : null;
    SdkReady.Result sdkReady = chosen.contains(Scenario.SDK_READY)
        ? SdkReady.run(db, work, sdkColdRuns, sdkWarmWaits, warmup, serviceJvmOptions, sdkJar) : null;
    return new Results(fanOut, fleetFanOut, fleet, failure, events, tenantsResult, lockQueue, sdkReady);
  }

  /**
   * Warnings the scenarios provoke on purpose (a failed migration, a blocked event loop on a busy two-core box)
   * would bury the tables; errors still show.
   */
  static void quietLogs(boolean verbose) {
    if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext)) return;
    Level level = verbose ? Level.INFO : Level.ERROR;
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(verbose ? Level.INFO : Level.WARN);
    for (String name : List.of("dev.muster", "io.vertx", "io.netty", "io.zonky")) {
      ((Logger) LoggerFactory.getLogger(name)).setLevel(level);
    }
    // Flyway logs the failure scenario's failed migration as an ERROR: expected there, and reported anyway.
    ((Logger) LoggerFactory.getLogger("org.flywaydb")).setLevel(verbose ? Level.INFO : Level.OFF);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static final class ScenarioConverter implements CommandLine.ITypeConverter<Scenario> {
    @Override
    public Scenario convert(String value) {
      try {
        return Scenario.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not one of fan-out, fleet-fan-out, fleet, failure, events, tenants, lock-queue, sdk-ready, all");
      }
    }
  }
}
