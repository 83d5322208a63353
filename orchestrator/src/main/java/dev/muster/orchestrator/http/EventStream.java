package dev.muster.orchestrator.http;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventSink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code text/event-stream} response written by hand (vertx-web 5 has no SSE handler).
 *
 * <ul>
 *   <li>A comment line goes out every heartbeat, so clients can tell a quiet stream from a dead one.</li>
 *   <li>A reader too slow to keep up with live events (the connection's write queue is full) is disconnected rather
 *   than buffered without bound: it reconnects with {@code Last-Event-ID} and the log replays what it missed. A
 *   replay waits for it instead: it hands over a page of the log at a time ({@link #sendAll}), and reads the next
 *   once the queue has room ({@link #full}, {@link #whenReady}) — a page or two ahead of the client, never the log.</li>
 *   <li>A client that takes nothing — data has waited for it, with no progress at all, for the idle timeout,
 *   as seen at a heartbeat — is disconnected too, so a stream nobody reads does not hold its slot for ever.</li>
 * </ul>
 */
final class EventStream implements EventSink {
  /** How far a replay may be ahead of the client's socket before it waits: a page of events is ~130 kB. */
  static final long REPLAY_AHEAD_BYTES = 256 * 1024;
  /** The last event framed, for the next stream it goes to; any thread may replace it. */
  private static volatile Frame lastFrame;

  private final Vertx vertx;
  private final HttpServerResponse response;
  private final Held held;
  private final Metrics metrics;
  private final WriteBatch batch;
  private final long idleNanos;
  private long timer = -1;
  /** No more events are taken: the stream's last is queued, or it is gone. */
  private boolean ended;
  /** Frames taken and not yet written (see {@link WriteBatch}); the response ends after them when {@code last}. */
  private final List<Buffer> queued = new ArrayList<>(2);
  private boolean last;
  /** A page of a replay is queued: the replay waited for room before it read it, so it is not a slow reader's. */
  private boolean replayed;
  /** A replay waiting for room ({@link #whenReady}). */
  private Runnable whenRoom;
  /** Bytes handed to the connection that it has not yet written to the socket. */
  private long unwrittenBytes;
  /** Writes handed to the connection that it has not yet passed on to the client's socket. */
  private int pending;
  /** When the pending writes last made progress (or began, when there were none). */
  private long progressNanos;

  EventStream(Vertx vertx, HttpServerResponse response, Held held, Duration heartbeat, Duration idleTimeout,
      Metrics metrics, WriteBatch batch) {
    this.vertx = vertx;
    this.response = response;
    this.held = held;
    this.metrics = metrics;
    this.batch = batch;
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

  @Override
  public void send(Event event) {
    if (ended) return;
    queue(frame(event));
  }

  /** A page read back: its frames in one buffer, written with whatever else this turn queued. */
  @Override
  public void sendAll(List<Event> events) {
    if (ended || events.isEmpty()) return;
    byte[][] frames = new byte[events.size()][];
    int size = 0;
    for (int i = 0; i < frames.length; i++) size += (frames[i] = frameBytes(events.get(i))).length;
    // One buffer off the heap for the page (its events go to this stream only): one allocation, not one per event.
    ByteBuffer page = ByteBuffer.allocateDirect(size);
    for (byte[] f : frames) page.put(f);
    replayed = true;
    queue(BufferInternal.buffer(Unpooled.wrappedBuffer(page.flip())));
  }

  /**
   * Full while frames wait for this turn's write, while more than {@link #REPLAY_AHEAD_BYTES} written have not reached
   * the socket, or while the connection's queue is past its mark (which counts writes, not bytes: sixteen pages of a
   * replay would be megabytes).
   */
  @Override
  public boolean full() {
    return !ended && (!queued.isEmpty() || unwrittenBytes > REPLAY_AHEAD_BYTES || response.writeQueueFull());
  }

  /** Calls {@code ready} once this stream is no longer {@link #full}: after a write, its completion, or a drain. */
  @Override
  public void whenReady(Runnable ready) {
    whenRoom = ready;
    if (response.writeQueueFull()) response.drainHandler(v -> room());
    room();
  }

  private void room() {
    if (whenRoom == null || ended || full()) return; // an ended stream's replay is cancelled with it
    Runnable ready = whenRoom;
    whenRoom = null;
    response.drainHandler(null);
    ready.run();
  }

  /**
   * The event as an SSE frame, in UTF-8: made once for all the streams it goes to (they receive it one after the
   * other), each stream writing its own view of the same bytes. Off the heap, so that no write copies it there
   * first (Netty would, for a heap buffer); the JDK frees it once no stream holds a view.
   */
  static Buffer frame(Event event) {
    Frame f = lastFrame;
    if (f != null && f.event == event) return f.buffer;
    byte[] bytes = frameBytes(event);
    Buffer buffer = BufferInternal.buffer(Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(bytes.length).put(bytes).flip()));
    lastFrame = new Frame(event, buffer);
    return buffer;
  }

  private static byte[] frameBytes(Event event) {
    // An event not in the log yet has no number to resume after: it goes without an id line.
    return ((event.logged() ? "id: " + event.seq() + "\n" : "") + "event: " + event.typeName() + "\ndata: "
        + event.encoded() + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  private record Frame(Event event, Buffer buffer) {}

  /**
   * Sends the stream's last event and ends it, in the same write: the frame and the end of the body reach the client
   * together, one system call for the stream instead of two.
   */
  void endWith(Event event) {
    if (ended) return;
    queue(frame(event));
    last = true;
    stop();
  }

  private void queue(Buffer frame) {
    if (queued.isEmpty()) batch.add(this);
    queued.add(frame);
  }

  /** Writes what was queued, as one buffer; by {@link WriteBatch}, on the stream's context. */
  void flush() {
    if (queued.isEmpty()) return;
    Buffer data = queued.size() == 1 ? queued.get(0) : joined(queued);
    queued.clear();
    boolean replaying = replayed;
    replayed = false;
    if (response.closed()) return;
    if (response.writeQueueFull() && !replaying) {
      cutOff("slow_reader"); // it resumes from the log where it was
    } else if (last) {
      response.end(data);
    } else {
      write(data);
      room();
    }
  }

  /** Frames as one buffer of views of theirs: no bytes copied. */
  private static Buffer joined(List<Buffer> frames) {
    ByteBuf[] views = new ByteBuf[frames.size()];
    for (int i = 0; i < views.length; i++) views[i] = ((BufferInternal) frames.get(i)).getByteBuf();
    return BufferInternal.buffer(Unpooled.wrappedUnmodifiableBuffer(views));
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
    int size = data.length();
    unwrittenBytes += size;
    response.write(data).onComplete(ar -> {
      pending--;
      unwrittenBytes -= size;
      progressNanos = System.nanoTime();
      room();
    });
  }

  /** Cuts the stream off: the client sees a reset connection (or HTTP/2 stream) and reconnects. */
  private void drop(String reason) {
    if (ended) return;
    cutOff(reason);
  }

  private void cutOff(String reason) {
    stop();
    queued.clear();
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
