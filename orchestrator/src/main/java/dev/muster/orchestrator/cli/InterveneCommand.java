package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.lock.SchemaLock;
import dev.muster.orchestrator.projection.Projection;
import dev.muster.orchestrator.projection.SchemaView;
import dev.muster.orchestrator.runner.RunSessions;
import java.io.PrintWriter;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code intervene cancel|terminate --schema S --pid N} and {@code intervene abort --schema S}: acts on a blocked
 * run straight through the database, as the admin calls do, and records it as {@code migration.intervened}.
 */
@Command(name = "intervene", mixinStandardHelpOptions = true,
    description = "Acts on a run that waits on a lock: cancel (pg_cancel_backend) or terminate (pg_terminate_backend) "
        + "a session that blocks it, or abort the run (it fails, saying who aborted it). Recorded as "
        + "migration.intervened with who asked.")
public final class InterveneCommand implements Callable<Integer> {
  enum Action { cancel, terminate, abort }

  @Mixin
  Settings settings;

  @Parameters(index = "0", paramLabel = "ACTION", description = "cancel, terminate or abort")
  Action action;

  @Option(names = "--schema", required = true, paramLabel = "S", description = "the schema whose run is blocked")
  String schema;

  @Option(names = "--pid", paramLabel = "N", description = "the blocker's pid (cancel, terminate), as status names it")
  Integer pid;

  @Option(names = "--by", paramLabel = "NAME", description = "who asks, for the record (default: this OS user, cli)")
  String by;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (action != Action.abort && (pid == null || pid <= 0)) throw new IllegalArgumentException(action + " needs --pid N");
    try (Database database = Database.open(settings.config()); Connection c = SchemaSelection.connect(database.config)) {
      String rejection = database.config.schemas().rejection(schema);
      if (rejection != null) throw new IllegalArgumentException(rejection);
      String who = (by != null ? by : System.getProperty("user.name", "unknown")) + " (cli)";
      Projection projection = new Projection();
      EventStore.sinceLastOutcome(c, List.of(schema)).forEach(projection::apply);
      projection.observeHolder(schema, SchemaLock.holders(c, List.of(schema)).get(schema));
      SchemaView view = projection.view(schema);
      boolean running = view != null && view.lockHolder() != null;
      Payload.MigrationIntervened record;
      if (action == Action.abort) {
        if (!running) {
          err.println("muster: no run of schema " + schema + " is under way");
          return ExitCodes.USAGE;
        }
        record = new Payload.MigrationIntervened(schema, Payload.Action.ABORT, null, who, true);
      } else {
        List<Integer> named = running && view.blocked() != null
            ? view.blocked().blockers().stream().map(Payload.Blocker::pid).toList() : List.of();
        Boolean done = RunSessions.signal(c, schema, pid, action == Action.terminate, named);
        if (done == null) {
          err.println("muster: pid " + pid + " holds up no run of schema " + schema + " now (status shows who does)");
          return ExitCodes.USAGE;
        }
        record = new Payload.MigrationIntervened(schema,
            action == Action.terminate ? Payload.Action.TERMINATE : Payload.Action.CANCEL, pid, who, done);
      }
      c.setAutoCommit(true);
      new EventStore(null, database.config.replicaId()).appendInTransaction(c, record);
      out.println(action == Action.abort ? "asked the run of schema " + schema + " to abort"
          : (record.done() ? "signalled" : "could not signal") + " pid " + pid + " (" + action + ")");
      return ExitCodes.OK;
    }
  }
}
