package dev.muster.orchestrator.coordinator;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;

/** The system clock, with Vert.x timers: a timer set on a context fires on it. */
public final class VertxClock implements Clock {
  private final Vertx vertx;

  public VertxClock(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Instant now() {
    return Instant.now();
  }

  @Override
  public void later(Runnable task) {
    Context context = Vertx.currentContext();
    if (context == null) {
      task.run();
      return;
    }
    // Two hops: one would run before what the current task queues after this call (the streams' writes).
    context.runOnContext(v -> context.runOnContext(w -> task.run()));
  }

  @Override
  public Timer schedule(Duration delay, Runnable task) {
    long id = vertx.setTimer(Math.max(1, delay.toMillis()), t -> task.run());
    return () -> vertx.cancelTimer(id);
  }
}
