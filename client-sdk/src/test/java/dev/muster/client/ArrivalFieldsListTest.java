package dev.muster.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.testdata.ArrivalFieldCase;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The builder takes exactly what the shared list says clients take, and refuses the rest at once with the
 * orchestrator's words: {@code testdata/arrival-fields.tsv}, which the orchestrator's and muster-wait's
 * tests read too.
 */
class ArrivalFieldsListTest {
  private static final Map<String, Consumer<String>> SETTERS = Map.of(
      "service", value -> MusterClient.builder().service(value),
      "instance", value -> MusterClient.builder().instance(value),
      "schema", value -> MusterClient.builder().schema(value),
      "requiredVersion", value -> MusterClient.builder().requiredVersion(value),
      "deploy", value -> MusterClient.builder().deploy(value));

  @TestFactory
  Stream<DynamicTest> theBuilderAcceptsWhatTheListSaysAndRefusesTheRestInTheServersWords() {
    return ArrivalFieldCase.all().stream().filter(c -> !c.clients().equals("-")).map(c -> DynamicTest.dynamicTest(
        c.toString(), () -> {
          Consumer<String> setter = SETTERS.get(c.field());
          String refusal = ArrivalFieldCase.message(c.clients());
          if (refusal == null) {
            setter.accept(c.value());
          } else {
            var failure = assertThrows(IllegalArgumentException.class, () -> setter.accept(c.value()));
            assertEquals(refusal + ", was '" + c.value() + "'", failure.getMessage());
          }
        }));
  }

  @Test
  void theListCoversEveryFieldAndBothVerdicts() {
    for (String field : List.of("service", "instance", "schema", "requiredVersion", "deploy", "canMigrate")) {
      List<ArrivalFieldCase> cases = ArrivalFieldCase.of(field);
      assertTrue(cases.stream().anyMatch(c -> c.flyway().equals(ArrivalFieldCase.OK)), field + " has an accepted value");
      assertTrue(cases.stream().anyMatch(c -> !c.flyway().equals(ArrivalFieldCase.OK)), field + " has a refused value");
    }
    assertEquals("a".repeat(63), ArrivalFieldCase.of("service").stream().filter(c -> c.note().equals("63 characters"))
        .findFirst().orElseThrow().value());
    assertEquals(151, ArrivalFieldCase.of("requiredVersion").stream()
        .filter(c -> c.note().startsWith("the longest Flyway version")).findFirst().orElseThrow().value().length());
  }
}
