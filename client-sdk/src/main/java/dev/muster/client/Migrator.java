package dev.muster.client;

/**
 * Runs a schema's migrations with the service's own tool (Alembic, Liquibase, a script, ...) when the
 * orchestrator migrates the schema in delegated mode ({@code MUSTER_RUNNER=delegate}) and elects this
 * instance as the migrator. Set with {@link MusterClient.Builder#migrator}; the arrival then says
 * {@code "canMigrate": true}.
 *
 * <p>Of all the instances waiting for the schema, only the elected one runs its migrator, on a thread
 * of its own ({@code muster-client-migrate-<service>}), while the wait keeps its lease: it heartbeats the
 * run and keeps its event stream open. What the migrator returns or throws becomes the run's outcome,
 * which every waiting instance receives:
 *
 * <ul>
 *   <li>a return is {@code done} at the version returned ({@code null} when the tool has no versions);
 *       the wait then ends with {@link Ready#migrated()} true;
 *   <li>a {@link MigrationCommandException} is {@code failed} with its exit code and output, and any other
 *       exception {@code failed} with exit code 1 and the exception's messages as output; the wait then
 *       throws {@link MigrationFailedException}, like every other instance's.
 * </ul>
 *
 * <p>If the lease is lost (a heartbeat came too late, the orchestrator revoked it), the thread is
 * interrupted and {@link MigrationRun#leaseLost()} turns true: stop as soon as possible. Whatever the
 * migrator does afterwards is not reported; another instance is elected and runs the migrations again,
 * so the tool must resume from its own version table, as Alembic and its peers do. The wait goes on and
 * ends with that instance's outcome.
 */
@FunctionalInterface
public interface Migrator {
  /**
   * Migrates the schema.
   *
   * @return the version the schema reached, such as an Alembic head revision; {@code null} if the tool
   *     has no versions
   * @throws Exception if the migration failed; a {@link MigrationCommandException} carries a command's
   *     exit code and output
   */
  String migrate(MigrationRun run) throws Exception;
}
