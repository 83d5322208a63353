package dev.muster.client;

import static dev.muster.client.ScriptedOrchestrator.closedPort;
import static dev.muster.client.ScriptedOrchestrator.event;
import static dev.muster.client.ScriptedOrchestrator.eventsThenHeartbeats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Stopping a wait is prompt, closes its stream, and leaves none of the SDK's threads behind. */
class CancellationTest {
  private static final String STARTING = event(1, "service.starting", "'service':'app','instance':'app-7f3c'");
  /** Generous: "promptly" is ~100 ms; this only catches a wait that does not stop at all. */
  private static final Duration PROMPTLY = Duration.ofSeconds(2);

  @Test
  void interruptEndsAwaitReadyPromptlyAndClosesTheStream() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenHeartbeats(STARTING))) {
      CountDownLatch streaming = new CountDownLatch(1);
      MusterClient client = AwaitReadyTest.client(orchestrator.url()).timeout(Duration.ofMinutes(1))
          .listener(event -> streaming.countDown()).build();
      AtomicReference<Throwable> outcome = new AtomicReference<>();
      Thread waiter = new Thread(() -> {
        try {
          client.awaitReady();
        } catch (Throwable t) {
          outcome.set(t);
        }
      }, "test-waiter");
      waiter.start();
      assertTrue(streaming.await(5, TimeUnit.SECONDS), "the stream was open");

      waiter.interrupt();

      waiter.join(PROMPTLY.toMillis());
      assertFalse(waiter.isAlive(), "awaitReady returned");
      assertInstanceOf(InterruptedException.class, outcome.get());
      assertTrue(orchestrator.sawHangUp(PROMPTLY), "the orchestrator saw the stream closed");
      assertNoSdkThreadOutlivesTheWait();
    }
  }

  @Test
  void interruptDuringReconnectBackoffEndsAwaitReady() throws Exception {
    ManualClock clock = ManualClock.pausesUntilInterrupted();
    MusterClient client = AwaitReadyTest.client(closedPort()).timeout(Duration.ofMinutes(1)).clock(clock).build();
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        client.awaitReady();
      } catch (Throwable t) {
        outcome.set(t);
      }
    }, "test-waiter");
    waiter.start();
    assertTrue(clock.awaitFirstPause(Duration.ofSeconds(5)), "the refused connection led to a backoff pause");

    waiter.interrupt();

    waiter.join(PROMPTLY.toMillis());
    assertFalse(waiter.isAlive(), "awaitReady returned");
    assertInstanceOf(InterruptedException.class, outcome.get());
    assertNoSdkThreadOutlivesTheWait();
  }

  @Test
  void alreadyInterruptedThreadAnnouncesNothing() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenHeartbeats(STARTING))) {
      MusterClient client = AwaitReadyTest.client(orchestrator.url()).build();

      Thread.currentThread().interrupt();
      assertThrows(InterruptedException.class, client::awaitReady);

      assertEquals(List.of(), orchestrator.arrivals());
    }
  }

  @Test
  void cancellingReadyAsyncStopsTheWaitAndClosesTheStream() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenHeartbeats(STARTING))) {
      CountDownLatch streaming = new CountDownLatch(1);
      CompletableFuture<Ready> future = AwaitReadyTest.client(orchestrator.url()).timeout(Duration.ofMinutes(1))
          .listener(event -> streaming.countDown()).build().readyAsync();
      assertTrue(streaming.await(5, TimeUnit.SECONDS), "the stream was open");

      assertTrue(future.cancel(true));

      assertThrows(CancellationException.class, future::join);
      assertTrue(orchestrator.sawHangUp(PROMPTLY), "the orchestrator saw the stream closed");
      assertNoSdkThreadOutlivesTheWait();
    }
  }

  @Test
  void timingOutReadyAsyncFromOutsideStopsTheWait() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenHeartbeats(STARTING))) {
      CompletableFuture<Ready> future = AwaitReadyTest.client(orchestrator.url()).timeout(Duration.ofMinutes(1))
          .build().readyAsync().orTimeout(300, TimeUnit.MILLISECONDS);

      var failure = assertThrows(CompletionException.class, future::join);

      assertInstanceOf(TimeoutException.class, failure.getCause());
      assertTrue(orchestrator.sawHangUp(PROMPTLY), "the orchestrator saw the stream closed");
      assertNoSdkThreadOutlivesTheWait();
    }
  }

  /**
   * The wait's own thread ends at once. The HTTP client's I/O threads, also {@code muster-client-*},
   * end a second after their last task.
   */
  private static void assertNoSdkThreadOutlivesTheWait() throws InterruptedException {
    for (Thread waitThread : sdkThreads("muster-client-wait-")) {
      waitThread.join(PROMPTLY.toMillis());
      assertFalse(waitThread.isAlive(), waitThread.getName() + " is still alive");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!sdkThreads("muster-client-").isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(List.of(), sdkThreads("muster-client-").stream().map(Thread::getName).toList(),
        "SDK threads still alive");
  }

  private static List<Thread> sdkThreads(String namePrefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.isAlive() && thread.getName().startsWith(namePrefix)).toList();
  }
}
