package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.db.Bootstrap;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.lock.LockKeys;
import dev.muster.orchestrator.lock.SchemaLock;
import dev.muster.orchestrator.projection.SchemaInfo;
import dev.muster.orchestrator.runner.FlywayRunner;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Accepts drift: Flyway's {@code repair} on each selected schema, under the schema's lock (so never beside a run),
 * recorded as {@code schema.repaired}. The files become the truth: checksums and descriptions of applied
 * migrations are aligned with them, applied migrations without a file are marked deleted, failed rows removed.
 */
@Command(name = "repair", mixinStandardHelpOptions = true,
    description = {"Accept a drifted schema's history (edited, deleted or unknown applied migrations): Flyway's repair,"
        + " under the schema's lock, recorded as a schema.repaired event.",
        "Exit 0 when every schema matches its files afterwards, 3 when one still does not, 4 when a run holds a"
            + " schema's lock (try again after it), 2 on bad usage."})
public final class RepairCommand implements Callable<Integer> {
  /** Who signs the events: no replica, the command. */
  static final String SIGNER = "muster-repair";

  @Mixin
  Settings settings;

  @Mixin
  SchemaSelection selection;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (Database database = Database.open(settings.config())) {
      var config = database.config;
      List<String> schemas = selection.resolve(config);
      FlywayRunner flyway = new FlywayRunner(config.database(), config.migrations(), false);
      Vertx vertx = Vertx.vertx();
      Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(config.database().connectOptions())
          .using(vertx).build();
      try {
        Bootstrap.run(vertx, config.database()).await(); // the log the event goes to
        EventStore log = new EventStore(pool, SIGNER);
        int exit = ExitCodes.OK;
        for (String schema : schemas) exit = Math.max(exit, repair(config, flyway, log, schema, out));
        return exit;
      } finally {
        pool.close().await();
        vertx.close().await();
      }
    }
  }

  private static int repair(dev.muster.orchestrator.config.MusterConfig config, FlywayRunner flyway, EventStore log,
      String schema, PrintWriter out) throws Exception {
    try (Connection lock = SchemaSelection.connect(config)) {
      if (!tryLock(lock, schema)) {
        Map<String, String> holder = SchemaLock.holders(lock, List.of(schema));
        out.println(schema + ": not repaired: its lock is held by " + holder.getOrDefault(schema, "another session")
            + " (a run under way); try again after it");
        return ExitCodes.TIMED_OUT;
      }
      SchemaInfo before = flyway.info(schema);
      FlywayRunner.Repaired repaired = flyway.repair(schema);
      SchemaInfo after = flyway.info(schema);
      log.append(new Payload.SchemaRepaired(schema, before.drift(), after.drift(), repaired.aligned(), repaired.deleted(),
          repaired.removed())).await();
      out.println(schema + ": " + (after.drifted() ? "STILL DRIFTED: " + after.drift() : "repaired")
          + " (" + repaired.aligned() + " aligned, " + repaired.deleted() + " marked deleted, " + repaired.removed()
          + " failed removed" + (before.drift() == null ? "; it had not drifted" : "; accepted: " + before.drift()) + ")");
      return after.drifted() ? ExitCodes.MIGRATION_FAILED : ExitCodes.OK;
    }
  }

  /** The schema's lock, as a run takes it: a non-blocking try on a session of its own; closing the session frees it. */
  private static boolean tryLock(Connection c, String schema) throws Exception {
    try (PreparedStatement st = c.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
      st.setInt(1, LockKeys.NAMESPACE);
      st.setInt(2, LockKeys.forSchema(schema));
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }
}
