package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The Python interpreters the Python tests run on. The client needs any Python 3.9+; the fleet needs Debian's
 * packages (Alembic, SQLAlchemy, psycopg2, gunicorn, Celery, redis), which live in {@code /usr/bin/python3} and
 * not in a pyenv {@code python3} that may come first on PATH. {@code MUSTER_PYTHON} overrides both.
 */
final class Python {
  static final String FLEET_MODULES = "alembic, sqlalchemy, psycopg2, gunicorn, celery, redis";
  private static String client;
  private static String fleet;

  private Python() {}

  /** A Python 3.9 or later with pip (the offline install test uses it), for the client's own tests. */
  static synchronized String forClient() {
    if (client == null) {
      client = first("import sys, pip, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)")
          .orElseFail("The Python client's tests need Python 3.9 or later with pip (python3 on PATH, or MUSTER_PYTHON).");
    }
    return client;
  }

  /** A Python that imports the fleet's packages. */
  static synchronized String forFleet() {
    if (fleet == null) {
      fleet = first("import " + FLEET_MODULES).orElseFail("The Python fleet needs " + FLEET_MODULES
          + " in a Python 3, and no interpreter here imports them.\n"
          + "  Debian/Ubuntu: sudo apt-get install -y python3-alembic python3-sqlalchemy python3-psycopg2 gunicorn"
          + " python3-celery python3-redis redis-server\n"
          + "  or point MUSTER_PYTHON at an interpreter that has them.\n"
          + "  (.ci/run installs them on CI machines.)");
    }
    return fleet;
  }

  private record Found(String interpreter) {
    String orElseFail(String message) {
      if (interpreter == null) fail(message);
      return interpreter;
    }
  }

  private static Found first(String check) {
    Set<String> candidates = new LinkedHashSet<>();
    String configured = System.getenv("MUSTER_PYTHON");
    if (configured != null && !configured.isBlank()) candidates.add(configured);
    candidates.addAll(List.of("/usr/bin/python3", "python3"));
    for (String candidate : candidates) {
      if (runs(candidate, check)) return new Found(candidate);
    }
    return new Found(null);
  }

  private static boolean runs(String python, String code) {
    try {
      Process p = new ProcessBuilder(new ArrayList<>(List.of(python, "-c", code))).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
