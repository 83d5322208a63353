package dev.muster.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.muster.client.internal.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in orchestrator on a loopback port. Each arrival is answered by the next script; the last
 * script answers all later ones. A delegated run's heartbeats and report ({@code /api/v1/runs/...}) are
 * answered by the run script, 200 unless set. Every request is recorded. With a {@link ManualClock},
 * each heartbeat comment it writes moves the clock on by a second.
 */
final class ScriptedOrchestrator implements AutoCloseable {
  /** How the orchestrator answers one arrival. */
  interface Script {
    void play(HttpExchange exchange, ScriptedOrchestrator orchestrator) throws IOException, InterruptedException;
  }

  /** One request as the orchestrator received it. */
  record Arrival(String method, String path, Map<String, List<String>> headers, String body) {
    String header(String name) {
      return headers.entrySet().stream().filter(h -> h.getKey().equalsIgnoreCase(name))
          .map(h -> h.getValue().get(0)).findFirst().orElse(null);
    }

    Map<String, Object> json() {
      return Json.parseObject(body);
    }
  }

  private static final AtomicInteger THREAD_NUMBERS = new AtomicInteger();
  static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(50);

  private final HttpServer server;
  private final ExecutorService handlers;
  private final BlockingQueue<Script> scripts;
  private final List<Arrival> arrivals = new CopyOnWriteArrayList<>();
  private final List<Arrival> runCalls = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Arrival> runCallQueue = new LinkedBlockingQueue<>();
  private final CountDownLatch hangUp = new CountDownLatch(1);
  private volatile ManualClock clock;
  private volatile Script runScript = answer(200, "{\"run\":7,\"leaseSeconds\":1}");

  private ScriptedOrchestrator(List<Script> scripts) throws IOException {
    this.scripts = new LinkedBlockingQueue<>(scripts);
    this.handlers = Executors.newCachedThreadPool(task -> {
      Thread thread = new Thread(task, "scripted-orchestrator-" + THREAD_NUMBERS.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(handlers);
    server.createContext("/", this::handle);
  }

  static ScriptedOrchestrator start(Script... scripts) throws IOException {
    ScriptedOrchestrator orchestrator = new ScriptedOrchestrator(Arrays.asList(scripts));
    orchestrator.server.start();
    return orchestrator;
  }

  URI url() {
    return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort());
  }

  List<Arrival> arrivals() {
    return new ArrayList<>(arrivals);
  }

  /** Heartbeats and reports, in order. */
  List<Arrival> runCalls() {
    return new ArrayList<>(runCalls);
  }

  /** The next heartbeat or report, waiting for it up to {@code within}; {@code null} if none came. */
  Arrival nextRunCall(Duration within) throws InterruptedException {
    return runCallQueue.poll(within.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** How heartbeats and reports are answered from now on. */
  ScriptedOrchestrator answeringRuns(Script script) {
    this.runScript = script;
    return this;
  }

  /** Each heartbeat comment written from now on moves {@code clock} on by a second. */
  ScriptedOrchestrator driving(ManualClock clock) {
    this.clock = clock;
    return this;
  }

  /** Whether a client closed a stream that this orchestrator was still writing heartbeats to. */
  boolean sawHangUp(Duration within) throws InterruptedException {
    return hangUp.await(within.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    server.stop(0);
    handlers.shutdownNow();
  }

  /** A URL where nothing listens: connections are refused. */
  static URI closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }
  }

  // --- scripts ---

  /** A 200 event stream with these events, then the end of the response. */
  static Script events(String... events) {
    return (exchange, orchestrator) -> {
      OutputStream body = startStream(exchange);
      for (String event : events) {
        write(body, event);
      }
    };
  }

  /** These events, then a heartbeat comment every 50 ms until the client hangs up. */
  static Script eventsThenHeartbeats(String... events) {
    return (exchange, orchestrator) -> {
      OutputStream body = startStream(exchange);
      for (String event : events) {
        write(body, event);
      }
      heartbeatsUntilHangUp(body, orchestrator);
    };
  }

  /**
   * These events, then, once a report has come (taken from the queue), {@code after}, then
   * heartbeats until the client hangs up.
   */
  static Script eventsThenAfterReport(String[] events, String... after) {
    return (exchange, orchestrator) -> {
      OutputStream body = startStream(exchange);
      for (String event : events) {
        write(body, event);
      }
      while (true) {
        Arrival call = orchestrator.runCallQueue.poll(50, TimeUnit.MILLISECONDS);
        if (call != null && call.path().endsWith("/report")) {
          break;
        }
        write(body, ": ping\n\n");
      }
      for (String event : after) {
        write(body, event);
      }
      heartbeatsUntilHangUp(body, orchestrator);
    };
  }

  private static void heartbeatsUntilHangUp(OutputStream body, ScriptedOrchestrator orchestrator)
      throws InterruptedException {
    try {
      while (true) {
        Thread.sleep(HEARTBEAT_INTERVAL.toMillis());
        ManualClock driven = orchestrator.clock;
        if (driven != null) {
          driven.advance(Duration.ofSeconds(1));
        }
        write(body, ": ping\n\n");
      }
    } catch (IOException clientClosed) {
      orchestrator.hangUp.countDown();
    }
  }

  /** Response headers, then not one byte more until the server stops. */
  static Script silence() {
    return (exchange, orchestrator) -> {
      startStream(exchange);
      Thread.sleep(Long.MAX_VALUE);
    };
  }

  /** A plain answer, such as an error. */
  static Script answer(int status, String json) {
    return (exchange, orchestrator) -> {
      byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
    };
  }

  // --- events ---

  /**
   * An event as the orchestrator writes it; {@code members} are extra JSON members of its data, with
   * {@code '} for {@code "} to keep tests readable, such as {@code "'version':'3'"}.
   */
  static String event(long id, String type, String members) {
    String data = "{\"seq\":" + id + ",\"type\":\"" + type + "\",\"at\":\"2026-11-21T10:15:02Z\",\"schema\":\"public\""
        + (members.isEmpty() ? "" : "," + members.replace('\'', '"')) + "}";
    return "id: " + id + "\nevent: " + type + "\ndata: " + data + "\n\n";
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Arrival request = new Arrival(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
          Map.copyOf(exchange.getRequestHeaders()), body);
      if (request.path().contains("/api/v1/runs/")) {
        runCalls.add(request);
        runCallQueue.add(request);
        runScript.play(exchange, this);
        return;
      }
      arrivals.add(request);
      Script script = scripts.size() > 1 ? scripts.poll() : scripts.peek();
      script.play(exchange, this);
    } catch (InterruptedException serverStopping) {
      Thread.currentThread().interrupt();
    }
  }

  private static OutputStream startStream(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
    exchange.getResponseHeaders().add("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0); // 0: chunked, open-ended
    return exchange.getResponseBody();
  }

  private static void write(OutputStream body, String text) throws IOException {
    body.write(text.getBytes(StandardCharsets.UTF_8));
    body.flush();
  }
}
