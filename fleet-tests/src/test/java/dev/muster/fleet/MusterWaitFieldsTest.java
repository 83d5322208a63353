package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.testdata.ArrivalFieldCase;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/muster-wait} takes exactly what {@code testdata/arrival-fields.tsv} says clients take —
 * the list the SDK's and the orchestrator's tests read — and refuses the rest before sending anything, in
 * the orchestrator's words. What it takes, it sends unchanged.
 */
class MusterWaitFieldsTest {
  /** Where each field comes from: a variable or an option. */
  private static final Map<String, String> VARIABLES = Map.of(
      "service", "MUSTER_SERVICE", "instance", "MUSTER_INSTANCE", "deploy", "MUSTER_DEPLOY");
  private static final Map<String, String> OPTIONS = Map.of("schema", "--schema", "requiredVersion", "--version");

  @TempDir
  static Path dir;
  private static StubOrchestrator orchestrator;

  @BeforeAll
  static void start() throws Exception {
    orchestrator = StubOrchestrator.ready();
  }

  @AfterAll
  static void stop() {
    orchestrator.close();
  }

  @TestFactory
  Stream<DynamicTest> muster_wait_takes_what_the_list_says_and_refuses_the_rest() {
    // A blank variable means "not set", as for every MUSTER_* variable: an empty value is an option's only.
    return ArrivalFieldCase.all().stream().filter(c -> !c.clients().equals("-"))
        .filter(c -> !(c.value().isEmpty() && VARIABLES.containsKey(c.field())))
        .map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
  }

  private static void check(ArrivalFieldCase row) throws Exception {
    Map<String, String> env = new HashMap<>(Map.of("MUSTER_URL", orchestrator.url(), "MUSTER_SERVICE", "app"));
    String variable = VARIABLES.get(row.field());
    String[] args;
    if (variable != null) {
      env.put(variable, row.value());
      args = new String[] {"--timeout", "10", "--", "true"};
    } else {
      args = new String[] {OPTIONS.get(row.field()), row.value(), "--timeout", "10", "--", "true"};
    }
    int before = orchestrator.requests().size();

    MusterWaitRun run = MusterWaitRun.run(dir, env, args);

    List<StubOrchestrator.Request> sent = orchestrator.requests().subList(before, orchestrator.requests().size());
    String refusal = ArrivalFieldCase.message(row.clients());
    if (refusal == null) {
      assertEquals(0, run.exitCode(), run.stderr());
      assertEquals(1, sent.size(), "one arrival");
      assertEquals(row.value(), sent.get(0).json().getString(row.field()), "sent unchanged");
    } else {
      assertEquals(2, run.exitCode(), run.stderr());
      assertTrue(run.stderr().contains(refusal + ", was '" + row.value() + "'"), run.stderr());
      assertEquals(List.of(), sent, "nothing sent");
    }
  }
}
