package dev.muster.sample;

import dev.muster.client.MusterClient;
import dev.muster.client.MusterException;
import dev.muster.client.Ready;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A sample fleet in one jar: {@code java -jar muster-sample-app.jar app|worker|beat}. Each role waits for
 * its schema through the Muster SDK before it opens a database connection, then does real work on the
 * migrated tables until it is stopped (SIGTERM or Ctrl-C).
 *
 * <p>Configuration is the SDK's {@code MUSTER_*} variables ({@code MUSTER_SERVICE} defaults to the role)
 * and {@link #VARIABLES}: {@code DATABASE_URL} (required), {@code APP_PORT},
 * {@code BEAT_INTERVAL_SECONDS}.
 *
 * <p>Exit codes are the Muster contract's: 2 bad usage or configuration, 3 the migration failed, 4 gave
 * up waiting, 5 the orchestrator could not be reached; 1 if the database could not be used after the wait (2
 * when a setting mends it: the CA or host name of a certificate, TLS, the password).
 */
public final class SampleService {
  static final int USAGE = 2;
  static final int DATABASE_UNUSABLE = 1;
  static final String USAGE_TEXT = "usage: java -jar muster-sample-app.jar app|worker|beat\n"
      + "  environment: DATABASE_URL (required; libpq's TLS parameters such as ?sslmode=verify-full&sslrootcert=FILE\n"
      + "  are honoured), DATABASE_PASSWORD_FILE, DATABASE_SSLMODE, DATABASE_SSLROOTCERT, DATABASE_SSLCERT,\n"
      + "  DATABASE_SSLKEY, MUSTER_URL, MUSTER_SERVICE (default: the role), MUSTER_INSTANCE,\n"
      + "  MUSTER_SCHEMA, MUSTER_REQUIRED_VERSION, MUSTER_TIMEOUT, MUSTER_TOKEN, APP_PORT (app, default 8081),\n"
      + "  BEAT_INTERVAL_SECONDS (beat, default 10)";

  /** Every variable the sample service reads besides the SDK's {@code MUSTER_*} ones. */
  public static final List<String> VARIABLES = Stream.concat(Stream.of(SampleConfig.DATABASE_URL, SampleConfig.APP_PORT,
      SampleConfig.BEAT_INTERVAL_SECONDS, SampleConfig.EXIT_WITH_PID), SampleConfig.DATABASE_PARAMETERS.stream()).toList();

  /**
   * The line a service prints once it is up; {@code muster-orchestrator demo} watches for it. Keep the two
   * in step (the demo has the same constant).
   */
  public static final String STARTED = "started: ";

  /** What one role does after the wait. */
  interface Role {
    /** Starts the work on threads of its own; returns what it does, for the log. */
    String start() throws Exception;

    /** Finishes the work under way and stops. */
    void stop() throws Exception;
  }

  private SampleService() {}

  public static void main(String[] args) {
    int code = launch(args, System.getenv());
    // 0: the role's threads keep the process alive until it is stopped.
    if (code != 0) System.exit(code);
  }

  static int launch(String[] args, Map<String, String> env) {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println(USAGE_TEXT);
      return 0;
    }
    if (args.length != 1 || !(args[0].equals("app") || args[0].equals("worker") || args[0].equals("beat"))) {
      System.err.println(USAGE_TEXT);
      return USAGE;
    }
    String role = args[0];
    SampleConfig config;
    MusterClient muster;
    try {
      config = SampleConfig.fromEnvironment(env);
      muster = MusterClient.builder().service(role).environment(env).build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println(role + ": " + e.getMessage());
      System.err.println(USAGE_TEXT);
      return USAGE;
    }
    if (config.exitWithPid() > 0) exitWithParent(config.exitWithPid());

    String name = muster.instance();
    Log.info(name + " waiting for schema " + muster.schema() + " at "
        + (muster.requiredVersion() == null ? "its latest version" : "version " + muster.requiredVersion() + " or later")
        + " from " + muster.urls());
    long startNanos = System.nanoTime();
    Ready ready;
    try {
      ready = muster.awaitReady();
    } catch (MusterException e) {
      Log.error(name + " will not start: " + e.getMessage());
      return e.exitCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    Log.info(name + ": " + ready);

    Database db = null;
    Role work;
    try {
      db = Database.open(config, name, role.equals("app") ? 4 : 1);
      work = switch (role) {
        case "app" -> new AppServer(db, config.appPort());
        case "worker" -> new Worker(db, name);
        default -> new Beat(db, config.beatInterval());
      };
      String what = work.start();
      stopOnShutdown(work, db, name);
      Log.info(STARTED + name + " " + what + " (waited " + ready.waited().toMillis() + " ms for schema "
          + ready.schema() + " at V" + ready.version() + ", up "
          + (System.nanoTime() - startNanos) / 1_000_000 + " ms after the wait began)");
      return 0;
    } catch (SQLException e) {
      if (db != null) db.close();
      // A certificate, TLS or password mistake is configuration: say which setting mends it.
      String mend = config.database().explain(e).orElse(null);
      Log.error(name + ": the database is not usable: " + (mend == null ? e.getMessage() : mend));
      return mend == null ? DATABASE_UNUSABLE : USAGE;
    } catch (Exception e) {
      Log.error(name + ": could not start: " + e);
      if (db != null) db.close();
      return DATABASE_UNUSABLE;
    }
  }

  private static void stopOnShutdown(Role work, Database db, String name) {
    AtomicBoolean stopped = new AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (!stopped.compareAndSet(false, true)) return;
      try {
        work.stop();
      } catch (Exception e) {
        Log.error(name + ": unclean stop: " + e);
      }
      db.close();
      Log.info(name + " stopped");
    }, "sample-shutdown"));
  }

  /** The demo's children end with it even if it is killed without a chance to stop them. */
  private static void exitWithParent(long pid) {
    ProcessHandle.of(pid).ifPresentOrElse(
        parent -> parent.onExit().thenRun(() -> {
          Log.info("process " + pid + " ended: stopping");
          System.exit(0);
        }),
        () -> {
          Log.error("process " + pid + " is not running: stopping");
          System.exit(0);
        });
  }
}
