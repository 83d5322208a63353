package dev.muster.orchestrator.http;

import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A response the orchestrator keeps open (an event stream, a {@code ?wait=true} answer). Its clean-up runs
 * exactly once, whether the response ends or the connection closes first. It owns the response's end and
 * close handlers: nothing else may set them.
 */
final class Held {
  private static final Logger log = LoggerFactory.getLogger(Held.class);

  private final List<Runnable> cleanups = new ArrayList<>();
  private boolean released;

  Held(HttpServerResponse response) {
    response.closeHandler(v -> release());
    response.endHandler(v -> release());
    if (response.closed()) release();
  }

  boolean released() {
    return released;
  }

  /** Runs {@code cleanup} on release, or now if the response is already gone. */
  void onRelease(Runnable cleanup) {
    if (released) {
      cleanup.run();
    } else {
      cleanups.add(cleanup);
    }
  }

  void release() {
    if (released) return;
    released = true;
    for (Runnable cleanup : cleanups) {
      try {
        cleanup.run();
      } catch (RuntimeException e) {
        log.error("Cleaning up a closed stream failed", e);
      }
    }
    cleanups.clear();
  }
}
