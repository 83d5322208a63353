package dev.muster.orchestrator.coordinator;

import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;

/** A clock that moves only when the test says so; timers fire in due order as it moves past them. */
final class ManualClock implements Clock {
  private static final Instant EPOCH = Instant.parse("2026-12-01T10:00:00Z");

  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long nanos;
  private long order;

  @Override
  public long nanoTime() {
    return nanos;
  }

  @Override
  public Instant now() {
    return EPOCH.plusNanos(nanos);
  }

  @Override
  public Timer schedule(Duration delay, Runnable task) {
    Task t = new Task(nanos + delay.toNanos(), order++, task);
    tasks.add(t);
    return () -> tasks.remove(t);
  }

  /** Moves time on by {@code d}, running each timer that falls due, at its own time. */
  void advance(Duration d) {
    long target = nanos + d.toNanos();
    while (!tasks.isEmpty() && tasks.peek().due <= target) {
      Task t = tasks.poll();
      nanos = t.due;
      t.task.run();
    }
    nanos = target;
  }

  /** Timers armed and not yet due. */
  int pending() {
    return tasks.size();
  }

  private record Task(long due, long order, Runnable task) implements Comparable<Task> {
    @Override
    public int compareTo(Task o) {
      return due != o.due ? Long.compare(due, o.due) : Long.compare(order, o.order);
    }
  }
}
