package dev.muster.orchestrator.http;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event streams that have frames waiting, written together once the event loop has done what it is doing: an
 * event handed to a thousand streams costs a thousand cheap appends, then a thousand writes — and the events that
 * commit while those writes go out reach each stream in one write of their own, not one each. A burst (a run's
 * {@code migration.*} events) so costs the loop one system call per stream, not one per stream and event.
 */
final class WriteBatch {
  private static final Logger log = LoggerFactory.getLogger(WriteBatch.class);
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final List<EventStream> waiting = new ArrayList<>();
  private boolean scheduled;

  /** Called on the streams' context, the first time a stream has something to write since its last flush. */
  void add(EventStream stream) {
    waiting.add(stream);
    if (scheduled) return;
    Context context = Vertx.currentContext();
    if (context == null) {
      flush(); // not on an event loop (nothing of ours sends from elsewhere): no later turn to wait for
      return;
    }
    scheduled = true;
    context.runOnContext(v -> flush());
  }

  private void flush() {
    scheduled = false;
    // A stream written to during the flush (an end that releases another) goes in the next batch.
    List<EventStream> now = new ArrayList<>(waiting);
    waiting.clear();
    boolean timed = now.size() >= 100 && log.isDebugEnabled();
    long start = timed ? System.nanoTime() : 0;
    long cpuStart = timed ? THREADS.getCurrentThreadCpuTime() : 0;
    for (EventStream stream : now) stream.flush();
    if (timed) {
      // The CPU time beside the wall time: on a busy box the loop mostly waits for a core.
      log.debug("{} streams written in {} µs ({} µs on the CPU)", now.size(), (System.nanoTime() - start) / 1_000,
          (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1_000);
    }
  }
}
