package dev.muster.orchestrator.http;

import dev.muster.orchestrator.events.Event;
import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A {@code text/event-stream} response written by hand (vertx-web 5 has no SSE handler).
 *
 * <ul>
 *   <li>A comment line goes out every heartbeat, so clients can tell a quiet stream from a dead one.</li>
 *   <li>A reader too slow to keep up (the connection's write queue is full) is disconnected rather than
 *   buffered without bound: it reconnects with {@code Last-Event-ID} and the log replays what it missed.</li>
 *   <li>A client that takes nothing — data has waited for it, with no progress at all, for the idle timeout,
 *   as seen at a heartbeat — is disconnected too, so a stream nobody reads does not hold its slot for ever.</li>
 * </ul>
 */
final class EventStream {
  /** The last event framed, for the next stream it goes to; any thread may replace it. */
  private static volatile Frame lastFrame;

  private final Vertx vertx;
  private final HttpServerResponse response;
  private final Held held;
  private final Metrics metrics;
  private final long idleNanos;
  private long timer = -1;
  private boolean ended;
  /** Writes handed to the connection that it has not yet passed on to the client's socket. */
  private int pending;
  /** When the pending writes last made progress (or began, when there were none). */
  private long progressNanos;

  EventStream(Vertx vertx, HttpServerResponse response, Held held, Duration heartbeat, Duration idleTimeout,
      Metrics metrics) {
    this.vertx = vertx;
    this.response = response;
    this.held = held;
    this.metrics = metrics;
    this.idleNanos = idleTimeout.toNanos();
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no"); // proxies such as nginx would otherwise hold events back
    held.onRelease(this::stop);
    if (ended) return; // the client went away before the stream began
    write(": muster\n\n");
    timer = vertx.setPeriodic(heartbeat.toMillis(), id -> tick());
  }

  boolean ended() {
    return ended;
  }

  void send(Event event) {
    if (ended) return;
    if (response.writeQueueFull()) {
      drop("slow_reader"); // it resumes from the log where it was
      return;
    }
    write(frame(event));
  }

  /**
   * The event as an SSE frame, in UTF-8: made once for all the streams it goes to (they receive it one after the
   * other), each stream writing its own view of the same bytes. Off the heap, so that no write copies it there
   * first (Netty would, for a heap buffer); the JDK frees it once no stream holds a view.
   */
  static Buffer frame(Event event) {
    Frame f = lastFrame;
    if (f != null && f.event == event) return f.buffer;
    // An event not in the log yet has no number to resume after: it goes without an id line.
    byte[] bytes = ((event.logged() ? "id: " + event.seq() + "\n" : "") + "event: " + event.typeName() + "\ndata: "
        + event.encoded() + "\n\n").getBytes(StandardCharsets.UTF_8);
    Buffer buffer = BufferInternal.buffer(Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(bytes.length).put(bytes).flip()));
    lastFrame = new Frame(event, buffer);
    return buffer;
  }

  private record Frame(Event event, Buffer buffer) {}

  /**
   * Sends the stream's last event and ends it in one write: the frame and the end of the body reach the client
   * together, one system call for the stream instead of two.
   */
  void endWith(Event event) {
    if (ended) return;
    if (response.writeQueueFull()) {
      drop("slow_reader");
      return;
    }
    stop();
    response.end(frame(event));
  }

  private void tick() {
    if (ended) return;
    long now = System.nanoTime();
    if (pending > 0 && now - progressNanos >= idleNanos) {
      drop("idle");
    } else {
      write(": ping\n\n");
    }
  }

  private void write(String text) {
    write(Buffer.buffer(text));
  }

  private void write(Buffer data) {
    if (pending++ == 0) progressNanos = System.nanoTime();
    response.write(data).onComplete(ar -> {
      pending--;
      progressNanos = System.nanoTime();
    });
  }

  /** Cuts the stream off: the client sees a reset connection (or HTTP/2 stream) and reconnects. */
  private void drop(String reason) {
    if (ended) return;
    stop();
    metrics.streamDropped(reason);
    response.reset();
    held.release();
  }

  private void stop() {
    ended = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    timer = -1;
  }
}
