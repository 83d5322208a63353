package dev.muster.orchestrator.http;

/** An unsubscribe action that may be set after the subscription's first events (a replay calls back at once). */
final class Subscription {
  private Runnable cancel;
  private boolean cancelled;
  private boolean finished;

  void set(Runnable cancel) {
    if (cancelled) {
      cancel.run();
    } else {
      this.cancel = cancel;
    }
  }

  void cancel() {
    cancelled = true;
    if (cancel != null) cancel.run();
  }

  /** Ends it because its terminal event came: the coordinator settles the arrival itself. */
  void finish() {
    finished = true;
    cancel();
  }

  boolean finished() {
    return finished;
  }
}
