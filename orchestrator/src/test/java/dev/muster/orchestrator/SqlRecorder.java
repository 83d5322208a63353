package dev.muster.orchestrator;

import dev.muster.testing.TestDatabase;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy between the orchestrator and the test database that reads the PostgreSQL protocol the
 * orchestrator speaks and records every statement it runs — whichever client sends it (the Vert.x pool, the
 * listener, a lock session, Flyway's JDBC) — and every message it sends, parameters included. Nothing reaches
 * the database without passing through it, so "no SQL ran" can be checked at the wire, where no cache, stats
 * delay or background commit can blur it.
 *
 * <p>It answers SSL and GSSAPI requests itself with "no", so every session stays readable.
 */
final class SqlRecorder implements AutoCloseable {
  private static final int SSL_REQUEST = 80877103;
  private static final int GSSENC_REQUEST = 80877104;
  private static final int CANCEL_REQUEST = 80877102;

  /** One message from a client to PostgreSQL: its type and, for statements, the SQL it runs. */
  record Message(int session, char type, byte[] payload, String sql) {}

  private final TestDatabase db;
  private final ServerSocket server;
  private final List<Message> messages = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger sessions = new AtomicInteger();
  private volatile String broken;

  private SqlRecorder(TestDatabase db) throws IOException {
    this.db = db;
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "sql-recorder-accept");
    accept.setDaemon(true);
    accept.start();
  }

  static SqlRecorder start(TestDatabase db) {
    try {
      return new SqlRecorder(db);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The database's URL, through this proxy. */
  String url() {
    String user = URLEncoder.encode(db.user(), StandardCharsets.UTF_8);
    String password = db.password().isEmpty() ? "" : ":" + URLEncoder.encode(db.password(), StandardCharsets.UTF_8);
    return "postgresql://" + user + password + "@127.0.0.1:" + server.getLocalPort() + "/" + db.name();
  }

  /** Sessions opened through the proxy so far. */
  int sessions() {
    return sessions.get();
  }

  /** A position in the record; {@link #since} lists what came after it. */
  int mark() {
    return messages.size();
  }

  List<Message> since(int mark) {
    requireReadable();
    // A snapshot first: a sub-list of the live list fails when a session is still recording (its Terminate, say).
    List<Message> all = List.copyOf(messages);
    return all.subList(mark, all.size());
  }

  /** The SQL of every statement executed after {@code mark}, in order. */
  List<String> statementsSince(int mark) {
    List<String> sql = new ArrayList<>();
    for (Message m : since(mark)) {
      if (m.sql() != null) sql.add(m.sql());
    }
    return sql;
  }

  /** Whether any message after {@code mark} — SQL text or bound parameter — contains {@code text} (UTF-8). */
  boolean sentSince(int mark, String text) {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    for (Message m : since(mark)) {
      if (indexOf(m.payload(), needle) >= 0) return true;
    }
    return false;
  }

  private void requireReadable() {
    if (broken != null) throw new IllegalStateException("the SQL recorder could not read a session: " + broken);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket backend = new Socket(db.host(), db.port());
        client.setTcpNoDelay(true);
        backend.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(backend);
        int session = sessions.incrementAndGet();
        daemon("sql-recorder-" + session + "-in", () -> clientToServer(session, client, backend));
        daemon("sql-recorder-" + session + "-out", () -> pipe(backend, client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void clientToServer(int session, Socket client, Socket backend) {
    Map<String, String> prepared = new HashMap<>();
    try (DataInputStream in = new DataInputStream(client.getInputStream());
        OutputStream out = backend.getOutputStream();
        OutputStream toClient = client.getOutputStream()) {
      // Start-up: untyped messages until the StartupMessage itself.
      while (true) {
        int length = in.readInt();
        byte[] body = new byte[length - 4];
        in.readFully(body);
        int code = ByteBuffer.wrap(body).getInt();
        if (code == SSL_REQUEST || code == GSSENC_REQUEST) {
          toClient.write('N'); // no encryption: keep the session readable
          toClient.flush();
          continue;
        }
        out.write(ByteBuffer.allocate(4).putInt(length).array());
        out.write(body);
        out.flush();
        if (code == CANCEL_REQUEST) {
          in.transferTo(out);
          return;
        }
        break;
      }
      while (true) {
        int type = in.read();
        if (type < 0) return;
        int length = in.readInt();
        byte[] payload = new byte[length - 4];
        in.readFully(payload);
        messages.add(new Message(session, (char) type, payload, sql((char) type, payload, prepared)));
        out.write(type);
        out.write(ByteBuffer.allocate(4).putInt(length).array());
        out.write(payload);
        out.flush();
      }
    } catch (EOFException | java.net.SocketException e) {
      // a session ended
    } catch (IOException | RuntimeException e) {
      broken = e.toString();
    } finally {
      closeQuietly(client);
      closeQuietly(backend);
    }
  }

  /** The SQL a message executes: a simple query, or the prepared statement a Bind runs. */
  private static String sql(char type, byte[] payload, Map<String, String> prepared) {
    switch (type) {
      case 'Q':
        return cstring(payload, 0);
      case 'P': {
        String name = cstring(payload, 0);
        String query = cstring(payload, name.getBytes(StandardCharsets.UTF_8).length + 1);
        prepared.put(name, query);
        return null; // parsing is not running
      }
      case 'B': {
        String portal = cstring(payload, 0);
        String statement = cstring(payload, portal.getBytes(StandardCharsets.UTF_8).length + 1);
        return prepared.getOrDefault(statement, "<unknown prepared statement " + statement + ">");
      }
      case 'F':
        return "<function call>";
      default:
        return null;
    }
  }

  private static String cstring(byte[] bytes, int from) {
    int end = from;
    while (end < bytes.length && bytes[end] != 0) end++;
    return new String(bytes, from, end - from, StandardCharsets.UTF_8);
  }

  private static void pipe(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      byte[] buffer = new byte[16 * 1024];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // a session ended
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) continue outer;
      }
      return i;
    }
    return -1;
  }

  private static void daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    sockets.forEach(SqlRecorder::closeQuietly);
  }
}
