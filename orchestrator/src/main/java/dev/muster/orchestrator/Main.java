package dev.muster.orchestrator;

import dev.muster.orchestrator.cli.ExitCodes;
import dev.muster.orchestrator.cli.InterveneCommand;
import dev.muster.orchestrator.cli.MigrateCommand;
import dev.muster.orchestrator.cli.PlanCommand;
import dev.muster.orchestrator.cli.RepairCommand;
import dev.muster.orchestrator.cli.ServeCommand;
import dev.muster.orchestrator.cli.StatusCommand;
import dev.muster.orchestrator.db.MusterSchema;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar muster-orchestrator.jar <command>}: the contract's commands and exit codes. */
@Command(name = "muster-orchestrator", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Runs each schema's migrations once for a whole fleet and tells every waiting service.",
    subcommands = {ServeCommand.class, MigrateCommand.class, StatusCommand.class, PlanCommand.class,
        RepairCommand.class, InterveneCommand.class,
        dev.muster.orchestrator.demo.DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs a command and returns its exit code; bad usage or configuration is 2 with a one-line message. */
  public static int execute(String... args) {
    return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** As {@link #execute(String...)}, writing to {@code out} and {@code err} (tests, the bench). */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new Main()).setOut(out).setErr(err);
    cli.setExecutionExceptionHandler((e, command, parsed) -> {
      if (e instanceof IllegalArgumentException) {
        command.getErr().println("muster: " + e.getMessage());
        return ExitCodes.USAGE;
      }
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof MusterSchema.NewerSchemaException newer) {
          command.getErr().println("muster: " + newer.getMessage());
          return ExitCodes.USAGE;
        }
      }
      throw e;
    });
    return cli.execute(args);
  }

  @Override
  public Integer call() {
    new CommandLine(this).usage(System.err);
    return ExitCodes.USAGE;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"muster-orchestrator " + (v == null ? "dev" : v)};
    }
  }
}
