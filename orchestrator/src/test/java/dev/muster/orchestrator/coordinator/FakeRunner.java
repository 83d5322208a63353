package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.projection.SchemaInfo;
import dev.muster.orchestrator.runner.MigrationFailure;
import dev.muster.orchestrator.runner.Runner;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One schema's migrations in memory: V1..Vn, of which the first {@code applied} are applied. A migration may be made
 * to fail; with {@link #holdRuns}, a run waits for the test before it applies anything.
 */
final class FakeRunner implements Runner {
  private final String schema;
  private final int latest;
  private int applied;
  private int failAt = -1;
  private boolean hold;
  private final List<Promise<Void>> held = new ArrayList<>();
  int runs;

  FakeRunner(String schema, int latest, int applied) {
    this.schema = schema;
    this.latest = latest;
    this.applied = applied;
  }

  void failAt(int version) {
    failAt = version;
  }

  void holdRuns() {
    hold = true;
  }

  /** Lets the held runs go on. */
  void release() {
    List<Promise<Void>> now = new ArrayList<>(held);
    held.clear();
    now.forEach(Promise::complete);
  }

  /** Another replica applied migrations up to {@code version}. */
  void appliedElsewhere(int version) {
    applied = version;
  }

  SchemaInfo info() {
    List<SchemaInfo.Migration> pending = new ArrayList<>();
    for (int v = applied + 1; v <= latest; v++) pending.add(new SchemaInfo.Migration(String.valueOf(v), "step " + v, "V" + v + "__step.sql"));
    return new SchemaInfo(schema, applied == 0 ? null : String.valueOf(applied), latest == 0 ? null : String.valueOf(latest),
        pending);
  }

  @Override
  public Future<SchemaInfo> inspect(String schema) {
    return Future.succeededFuture(info());
  }

  @Override
  public Future<Prepared> prepare(String schema) {
    return Future.succeededFuture(new Prepared(List.of(), info()));
  }

  @Override
  public Future<Result> migrate(String schema, Progress progress) {
    runs++;
    Future<Void> go = Future.succeededFuture();
    if (hold) {
      Promise<Void> p = Promise.promise();
      held.add(p);
      go = p.future();
    }
    return go.compose(v -> {
      int executed = 0;
      for (int version = applied + 1; version <= latest; version++) {
        String text = String.valueOf(version);
        progress.started(text, "step " + text);
        if (version == failAt) {
          return Future.failedFuture(new MigrationFailure(new SQLException("relation \"missing\" does not exist", "42P01"),
              text, "step " + text, applied == 0 ? null : String.valueOf(applied)));
        }
        try {
          progress.applied(null, text, "step " + text, 1, true);
        } catch (SQLException e) {
          return Future.failedFuture(e);
        }
        applied = version;
        executed++;
      }
      return Future.succeededFuture(new Result(String.valueOf(applied), executed));
    });
  }
}
