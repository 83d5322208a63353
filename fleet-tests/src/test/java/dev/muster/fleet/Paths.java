package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository, its packaged jars and the running {@code java} are; and free ports. */
final class Paths {
  private Paths() {}

  /** The repository's root: {@code -Dmuster.root}, set by this module's pom. */
  static Path root() {
    String root = System.getProperty("muster.root");
    Path path = root != null ? Path.of(root) : Path.of("..");
    if (!Files.isRegularFile(path.resolve("docker-compose.yml"))) {
      fail("the repository root is not at " + path.toAbsolutePath() + " (set -Dmuster.root)");
    }
    return path.toAbsolutePath().normalize();
  }

  static Path migrations() {
    return root().resolve("sample-app/src/main/resources/db/migration");
  }

  static Path orchestratorJar() {
    return jar("muster.orchestrator.jar", "orchestrator/target/muster-orchestrator.jar");
  }

  static Path sampleAppJar() {
    return jar("muster.sample-app.jar", "sample-app/target/muster-sample-app.jar");
  }

  private static Path jar(String property, String fallback) {
    String value = System.getProperty(property);
    Path jar = value != null ? Path.of(value) : root().resolve(fallback);
    if (!Files.isRegularFile(jar)) {
      fail(jar + " does not exist: these tests start the packaged jars; run them with ./mvnw verify from the root");
    }
    return jar.toAbsolutePath().normalize();
  }

  /** The java binary running the tests, so child processes run on the same JDK. */
  static String java() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** A port nothing listens on right now. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
