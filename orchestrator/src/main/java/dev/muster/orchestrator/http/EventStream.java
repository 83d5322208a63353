package dev.muster.orchestrator.http;

import dev.muster.orchestrator.events.Event;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;

/**
 * A {@code text/event-stream} response written by hand (vertx-web 5 has no SSE handler). Sends a comment
 * line every heartbeat so clients can tell a quiet stream from a dead one. A reader too slow to keep up is
 * disconnected rather than buffered without bound: it reconnects with {@code Last-Event-ID} and the log
 * replays what it missed.
 */
final class EventStream {
  private final Vertx vertx;
  private final HttpServerResponse response;
  private long heartbeat = -1;
  private boolean ended;

  EventStream(Vertx vertx, HttpServerResponse response, long heartbeatMs, Runnable onClose) {
    this.vertx = vertx;
    this.response = response;
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no"); // proxies such as nginx would otherwise hold events back
    response.closeHandler(v -> {
      if (!ended) {
        ended = true;
        stopHeartbeat();
        onClose.run();
      }
    });
    response.write(": muster\n\n");
    heartbeat = vertx.setPeriodic(heartbeatMs, id -> {
      if (!ended) response.write(": ping\n\n");
    });
  }

  boolean ended() {
    return ended;
  }

  void send(Event event) {
    if (ended) return;
    if (response.writeQueueFull()) {
      // Slow reader: drop it; it resumes from the log where it was.
      response.reset();
      return;
    }
    response.write("id: " + event.seq() + "\nevent: " + event.type() + "\ndata: " + event.json().encode() + "\n\n");
  }

  /** Ends the stream normally, after the last event. */
  void end() {
    if (ended) return;
    ended = true;
    stopHeartbeat();
    response.end();
  }

  private void stopHeartbeat() {
    if (heartbeat >= 0) vertx.cancelTimer(heartbeat);
    heartbeat = -1;
  }
}
