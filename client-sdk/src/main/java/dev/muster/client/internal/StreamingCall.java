package dev.muster.client.internal;

import java.io.EOFException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One HTTP exchange whose response body the {@link HttpClient} pushes to us line by line.
 *
 * <p>Why push rather than {@code BodyHandlers.ofLines()}: a blocking read can be neither timed out
 * nor interrupted, so it would need a reader thread and a watchdog. Here the waiting thread takes
 * lines from a queue with a timeout, which gives the idle watchdog for free, wakes at once on
 * interrupt, and leaves no thread behind. Lines are requested one at a time, so a fast server is
 * held back by TCP rather than by our memory. {@link #close()} aborts the exchange and its
 * connection, from any thread.
 */
public final class StreamingCall implements AutoCloseable {
  private static final Object END_OF_BODY = new Object();

  private final CompletableFuture<HttpResponse.ResponseInfo> response = new CompletableFuture<>();
  /** Lines as {@code String}s, then {@link #END_OF_BODY} or the {@code Throwable} that ended it. */
  private final BlockingQueue<Object> pushed = new LinkedBlockingQueue<>();
  private volatile Flow.Subscription subscription;
  private volatile boolean closed;
  private CompletableFuture<HttpResponse<Void>> exchange;
  /** The end of the body once taken from the queue, so that every later read reports it again. */
  private Object ending;

  private StreamingCall() {}

  /** Sends {@code request} and returns at once; the answer arrives in the background. */
  public static StreamingCall start(HttpClient http, HttpRequest request) {
    StreamingCall call = new StreamingCall();
    call.exchange = http.sendAsync(request, call::lineSubscriber);
    call.exchange.whenComplete((ignored, failure) -> {
      if (failure != null) {
        Throwable cause = unwrap(failure);
        call.response.completeExceptionally(cause);
        call.pushed.add(cause);
      }
    });
    return call;
  }

  /**
   * Waits for the status line and headers.
   *
   * @return the response's status and headers, or {@code null} if they did not arrive in time
   * @throws IOException if the exchange failed (connection refused, reset, ...)
   * @throws InterruptedException if the waiting thread was interrupted
   */
  public HttpResponse.ResponseInfo awaitResponse(long timeoutNanos) throws IOException, InterruptedException {
    try {
      return response.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return null;
    } catch (ExecutionException e) {
      throw asIOException(e.getCause());
    }
  }

  /**
   * Waits for the next line of the body.
   *
   * @return the line without its terminator, or {@code null} if none arrived in time
   * @throws EOFException if the body ended
   * @throws IOException if the exchange failed while the body was being read
   * @throws InterruptedException if the waiting thread was interrupted
   */
  public String nextLine(long timeoutNanos) throws IOException, InterruptedException {
    Object next = ending != null ? ending : pushed.poll(timeoutNanos, TimeUnit.NANOSECONDS);
    if (next == null) {
      return null;
    }
    if (next instanceof String line) {
      subscription.request(1);
      return line;
    }
    ending = next;
    if (next == END_OF_BODY) {
      throw new EOFException("the response ended");
    }
    throw asIOException((Throwable) next);
  }

  /**
   * Reads the rest of a short body, such as an error message, giving up on the rest after
   * {@code maxChars} characters or when {@code timeoutNanos} have passed.
   */
  public String readText(int maxChars, long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    StringBuilder text = new StringBuilder();
    try {
      String line;
      while (text.length() < maxChars && (line = nextLine(deadline - System.nanoTime())) != null) {
        text.append(line).append('\n');
      }
    } catch (IOException endedOrBroken) {
      // What arrived is all there is.
    }
    String body = text.toString().strip();
    return body.length() > maxChars ? body.substring(0, maxChars) : body;
  }

  /** Aborts the exchange and closes its connection; safe from any thread, idempotent. */
  @Override
  public void close() {
    closed = true;
    Flow.Subscription current = subscription;
    if (current != null) {
      current.cancel();
    }
    exchange.cancel(true);
  }

  private HttpResponse.BodySubscriber<Void> lineSubscriber(HttpResponse.ResponseInfo info) {
    response.complete(info);
    return BodySubscribers.fromLineSubscriber(new Flow.Subscriber<String>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        // close() may have run before the subscription existed: it set closed first, so one of us sees the other.
        if (closed) {
          s.cancel();
        } else {
          s.request(1);
        }
      }

      @Override
      public void onNext(String line) {
        pushed.add(line);
      }

      @Override
      public void onError(Throwable failure) {
        pushed.add(failure);
      }

      @Override
      public void onComplete() {
        pushed.add(END_OF_BODY);
      }
    });
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private static IOException asIOException(Throwable failure) {
    Throwable cause = unwrap(failure);
    return cause instanceof IOException io ? io : new IOException(String.valueOf(cause), cause);
  }
}
