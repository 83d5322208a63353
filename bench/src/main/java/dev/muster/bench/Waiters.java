package dev.muster.bench;

import dev.muster.orchestrator.events.EventType;
import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * N services waiting through the SDK, each on a thread of its own as a starting service's main thread would
 * be, each with its own {@link MusterClient} (its own HTTP client, as in its own process), spread round-robin
 * over the replicas with the others as fail-over. The instant each wait ends is taken on its thread right
 * after {@code awaitReady()} returns or throws.
 */
final class Waiters {
  /** How one wait ended: {@code ready} or {@code error} is set. */
  record Outcome(Instant at, Ready ready, Throwable error) {}

  private static final long STACK_BYTES = 256 * 1024;

  private final CountDownLatch streaming;
  private final List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();

  private Waiters(int count) {
    this.streaming = new CountDownLatch(count);
  }

  /**
   * Starts {@code count} waits for {@code schema}. A wait counts as streaming once its own
   * {@code service.starting} came back on its event stream: from then on it hears every event at once.
   */
  static Waiters start(int count, ReplicaSet replicas, String schema, String service, Duration timeout) {
    Waiters w = new Waiters(count);
    for (int i = 0; i < count; i++) {
      String instance = service + "-" + (i + 1);
      CountDownLatch ownArrivalSeen = new CountDownLatch(1);
      MusterClient client = MusterClient.builder()
          .url(replicas.urlsFrom(i))
          .service(service)
          .instance(instance)
          .schema(schema)
          .timeout(timeout)
          .listener(event -> {
            if (EventType.SERVICE_STARTING.wire().equals(event.type()) && instance.equals(event.instance())
                && ownArrivalSeen.getCount() > 0) {
              ownArrivalSeen.countDown();
              w.streaming.countDown();
            }
          })
          .build();
      CompletableFuture<Outcome> outcome = new CompletableFuture<>();
      w.outcomes.add(outcome);
      Thread thread = new Thread(null, () -> {
        try {
          Ready ready = client.awaitReady();
          outcome.complete(new Outcome(Instant.now(), ready, null));
        } catch (Throwable e) {
          outcome.complete(new Outcome(Instant.now(), null, e));
        } finally {
          if (ownArrivalSeen.getCount() > 0) w.streaming.countDown(); // ended without streaming: do not block
        }
      }, "bench-" + instance, STACK_BYTES);
      thread.setDaemon(true);
      w.threads.add(thread);
    }
    w.threads.forEach(Thread::start);
    return w;
  }

  /** Waits until every wait is streaming (or over). */
  void awaitStreaming(Duration max) throws InterruptedException, TimeoutException {
    if (!streaming.await(max.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new TimeoutException(streaming.getCount() + " of " + outcomes.size() + " clients were not streaming after "
          + max.toSeconds() + " s");
    }
  }

  /** Every wait's outcome, in client order. */
  List<Outcome> await(Duration max) throws Exception {
    CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(max.toMillis(), TimeUnit.MILLISECONDS);
    List<Outcome> all = new ArrayList<>();
    for (CompletableFuture<Outcome> o : outcomes) all.add(o.get());
    return all;
  }

  /** Ends waits still running (after a failed run), so the next one starts clean. */
  void abandon() {
    threads.forEach(Thread::interrupt);
  }
}
