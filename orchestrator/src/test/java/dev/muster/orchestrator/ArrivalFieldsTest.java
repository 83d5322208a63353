package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.testdata.ArrivalFieldCase;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every row of {@code testdata/arrival-fields.tsv} posted to a real orchestrator: the accepted values are
 * accepted, the refused ones get {@code 400 invalid_request} with the list's message and leave no trace in
 * the log. The SDK's and muster-wait's tests read the same list, so the three agree.
 *
 * <p>Rows marked {@code delegated-runs}, and the list's delegated column, are checked on schema {@code legacy},
 * which the orchestrator delegates ({@code MUSTER_RUNNER=flyway,legacy=delegate}).
 */
@ExtendWith(PostgresExtension.class)
class ArrivalFieldsTest {
  private static final String DELEGATED_SCHEMA = "legacy";

  @Test
  void theRowsThisBuildChecksGetTheirAnswerOnAFlywaySchema(TestDatabase db, @TempDir Path dir) {
    List<ArrivalFieldCase> rows = ArrivalFieldCase.all().stream().filter(ArrivalFieldCase::checkedByTheServerNow).toList();
    postEach(db, dir, rows, false);
  }

  @Test
  void theDelegatedRowsGetTheirAnswer(TestDatabase db, @TempDir Path dir) {
    postEach(db, dir, ArrivalFieldCase.all().stream().filter(c -> !c.checkedByTheServerNow()).toList(), false);
    postEach(db, dir, ArrivalFieldCase.all().stream().filter(c -> !c.field().equals("schema")).toList(), true);
  }

  private static void postEach(TestDatabase db, Path dir, List<ArrivalFieldCase> rows, boolean onDelegatedSchema) {
    Migrations migrations = ArrivalModesTest.twoMigrations(dir);
    Vertx vertx = Vertx.vertx();
    try {
      Orchestrator orchestrator = Orchestrator.start(vertx, config(db, migrations.dir()), true).await();
      String url = "http://127.0.0.1:" + orchestrator.port() + "/api/v1/arrivals";
      long startsBefore = db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.starting'");
      List<Executable> checks = new ArrayList<>();
      int accepted = 0;
      for (int i = 0; i < rows.size(); i++) {
        ArrivalFieldCase row = rows.get(i);
        JsonObject body = new JsonObject().put("service", "app").put("instance", "fields-" + i)
            .put("schema", onDelegatedSchema ? DELEGATED_SCHEMA : "public");
        body.put(row.field(), row.field().equals("canMigrate") ? Json.decodeValue(row.value()) : row.value());
        Http.Response answer = Http.postJson(url, body);
        String verdict = onDelegatedSchema ? row.delegated() : row.flyway();
        String refusal = ArrivalFieldCase.message(verdict);
        String what = row + " on a " + (onDelegatedSchema ? "delegated" : "Flyway") + " schema -> " + answer.status()
            + " " + answer.body();
        if (refusal == null) {
          boolean skew = answer.status() == 409 && answer.body().contains("\"version_skew\"");
          checks.add(() -> assertTrue(answer.status() == 202 || skew && row.field().equals("requiredVersion"), what));
          if (answer.status() == 202) accepted++;
        } else {
          checks.add(() -> assertEquals(400, answer.status(), what));
          checks.add(() -> assertEquals("invalid_request", answer.json().getString("error"), what));
          checks.add(() -> assertEquals(refusal, answer.json().getString("message"), what));
        }
      }
      assertAll(checks);
      assertEquals(startsBefore + accepted,
          db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.starting'"),
          "only the accepted arrivals were logged");
    } finally {
      vertx.close().await();
    }
  }

  /** Through the environment, as an operator sets it: the config's API is being rebuilt beside this test. */
  private static MusterConfig config(TestDatabase db, Path migrations) {
    Map<String, String> env = new HashMap<>();
    env.put("MUSTER_DATABASE_URL", db.url());
    env.put("MUSTER_MIGRATIONS", "filesystem:" + migrations.toAbsolutePath());
    env.put("MUSTER_SCHEMAS", "*");
    env.put("MUSTER_CREATE_SCHEMAS", "true");
    env.put("MUSTER_HTTP_PORT", "0");
    env.put("MUSTER_RUNNER", "flyway," + DELEGATED_SCHEMA + "=delegate");
    return MusterConfig.fromEnvironment(env);
  }
}
