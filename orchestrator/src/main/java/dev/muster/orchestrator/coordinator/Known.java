package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.events.Versions;
import dev.muster.orchestrator.projection.Projection;
import dev.muster.orchestrator.projection.SchemaView;
import dev.muster.orchestrator.runner.Runner;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What this replica knows of each schema: the projection, fed by the log and by one read of each schema's files and
 * history (a delegated schema has no files: the log alone tells what it is at). Confined to the coordinator's context.
 */
final class Known {
  private final Projection projection;
  private final Function<String, Runner> runners;
  private final Predicate<String> delegated;
  /** Each schema's first read of its files and history, so that the runner reads it once. */
  private final Map<String, Future<Void>> loads = new HashMap<>();
  /**
   * Each schema's look in the catalog, shared by the arrivals that come while it is under way (a storm of a thousand
   * asks once) and kept once it found the schema; a schema not found is asked again — a made-up name keeps nothing.
   */
  private final Map<String, Future<Boolean>> existence = new HashMap<>();

  Known(Projection projection, Function<String, Runner> runners, Predicate<String> delegated) {
    this.projection = projection;
    this.runners = runners;
    this.delegated = delegated;
  }

  /** One schema's state, read first if this replica has not read it yet. */
  Future<SchemaView> view(String schema) {
    if (projection.view(schema) != null || loads.containsKey(schema)) {
      return load(schema).map(v -> projection.view(schema));
    }
    if (delegated.test(schema)) {
      return Future.succeededFuture(new SchemaView(schema, SchemaStatus.UNKNOWN, null, null, List.of(), 0, null, null,
          null, null));
    }
    // A read keeps no state: made-up names that match a pattern must not grow this replica's memory.
    return runners.apply(schema).inspect(schema).map(Projection::of);
  }

  /** Whether the schema exists, as the catalog says. */
  Future<Boolean> exists(String schema) {
    if (projection.view(schema) != null) return Future.succeededFuture(true);
    Future<Boolean> found = existence.get(schema);
    if (found != null) return found;
    found = runners.apply(schema).exists(schema);
    existence.put(schema, found);
    found.onComplete(ar -> {
      if (ar.failed() || !ar.result()) existence.remove(schema);
    });
    return found;
  }

  Future<Void> load(String schema) {
    if (delegated.test(schema)) return Future.succeededFuture(); // no files: what it is at, the log tells
    Future<Void> loaded = loads.get(schema);
    if (loaded == null || loaded.failed()) {
      loaded = reload(schema);
      loads.put(schema, loaded);
    }
    return loaded;
  }

  Future<Void> reload(String schema) {
    return runners.apply(schema).inspect(schema).map(info -> {
      projection.observe(info);
      return null;
    });
  }

  String version(String schema) {
    SchemaView view = projection.view(schema);
    return view == null ? null : view.version();
  }

  String latest(String schema) {
    SchemaView view = projection.view(schema);
    return view == null ? null : view.latestVersion();
  }

  boolean reaches(String schema, String required) {
    String latest = latest(schema);
    return latest != null && Versions.compare(latest, required) >= 0;
  }
}
