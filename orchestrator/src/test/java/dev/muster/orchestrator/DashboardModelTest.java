package dev.muster.orchestrator;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's model (orchestrator/src/main/resources/dashboard/model.js) under Node's own test runner:
 * replays, snapshots racing events, failures reaching waiting instances, bounded memory, paging.
 */
class DashboardModelTest {

  @Test
  void theDashboardModelPassesItsUnitTests() throws Exception {
    NodeScript.runToEnd(NodeScript.e2eDirectory(), Duration.ofSeconds(60), "--test", "model.test.mjs");
  }
}
