package dev.muster.client;

import java.util.concurrent.CompletableFuture;

/**
 * The future of {@link MusterClient#readyAsync()}: the wait runs on a daemon thread of its own, and
 * completing the future from outside (cancel, complete, orTimeout) interrupts that thread, which
 * closes the stream and ends the thread. {@code CompletableFuture.cancel} alone would leave the wait
 * running and its connection open until the timeout.
 */
final class ReadyFuture extends CompletableFuture<Ready> {
  private final Thread waiter;

  private ReadyFuture(ArrivalWait wait, String threadName) {
    this.waiter = new Thread(() -> run(wait), threadName);
    this.waiter.setDaemon(true);
  }

  static ReadyFuture start(ArrivalWait wait, String threadName) {
    ReadyFuture future = new ReadyFuture(wait, threadName);
    future.whenComplete((ready, failure) -> {
      // The waiter completes the future itself on the way out; interrupting it then would leak the
      // interrupt into dependent stages that run on it.
      if (Thread.currentThread() != future.waiter) {
        future.waiter.interrupt();
      }
    });
    future.waiter.start();
    return future;
  }

  private void run(ArrivalWait wait) {
    try {
      complete(wait.await());
    } catch (InterruptedException completedFromOutside) {
      // Only an outside completion interrupts this private thread: the future already has its result.
    } catch (Throwable failure) {
      completeExceptionally(failure);
    }
  }
}
