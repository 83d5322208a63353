package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} on Linux x86-64 runs its sockets on epoll (Netty's native library, in the jar), and says so. */
@ExtendWith(PostgresExtension.class)
class NativeTransportTest {

  @Test
  void serveRunsOnEpollAndSaysSo(TestDatabase db, @TempDir Path dir) throws Exception {
    assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
        "the native library shipped is Linux x86-64's");
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE second (id int);");
    try (OrchestratorProcess serve = OrchestratorProcess.start("replica-epoll", db.url(), migrations.dir(), Map.of())) {
      String url = serve.url();
      assertTrue(serve.log().contains("sockets on epoll"), serve.log());
      HttpResponse<String> health = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode(), "it serves over those sockets: " + health.body());
    }
  }
}
