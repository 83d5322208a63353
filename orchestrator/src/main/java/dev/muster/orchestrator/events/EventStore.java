package dev.muster.orchestrator.events;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The append-only event log {@code muster.events}. Every append takes the next number from a one-row
 * counter and sends its NOTIFY in the same statement, hence the same transaction: a reader sees an event
 * in the table exactly when its notification is delivered, numbers have no gaps (a rolled-back append
 * rolls the counter back too), and because the counter row stays locked until commit, events commit in
 * the order of their numbers — so a reader that has seen {@code n} knows every event below {@code n}.
 *
 * <p>An event's {@code at} is when it was appended: {@code clock_timestamp()}, read once the counter row is
 * locked, not {@code now()}, which is the start of the enclosing transaction — an applied migration's event,
 * written at the end of the migration's own transaction, would read earlier than its own start. Taken under the
 * counter's lock, times also rise with the numbers.
 */
public final class EventStore implements EventLog {

  /** The NOTIFY channel of the contract. */
  public static final String CHANNEL = "muster_events";
  /** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; keep room for {@code seq} and {@code at}. */
  static final int MAX_PAYLOAD_BYTES = 7000;

  /** Parameters: type, schema, the event's fields, their NOTIFY copy. */
  private static final String APPEND = appendSql("$1", "$2", "$3", "$4");
  /** Parameters: the types, schemas, fields and NOTIFY copies, as text arrays of one length. */
  private static final String APPEND_ALL = appendAllSql("$1", "$2", "$3", "$4");
  private static final String APPEND_ALL_JDBC = appendAllSql("?", "?", "?", "?");
  private static final String APPEND_JDBC = appendSql("?", "?", "?::jsonb", "?::jsonb");
  private static final String SELECT_JSON = "SELECT (data || jsonb_build_object('seq', seq, 'at', at))::text AS json"
      + " FROM muster.events";

  static final String IS_OUTCOME = "type IN ('" + EventType.SCHEMA_READY.wire() + "', '"
      + EventType.SCHEMA_FAILED.wire() + "')";

  /** Each schema's latest outcome: a skip scan, one probe of {@code events_outcomes} per schema. */
  public static final String LAST_OUTCOMES = "WITH RECURSIVE names AS ("
        + "   (SELECT schema_name FROM muster.events WHERE " + IS_OUTCOME + " AND schema_name IS NOT NULL"
        + "     ORDER BY schema_name LIMIT 1)"
        + "   UNION ALL"
        + "   SELECT (SELECT e.schema_name FROM muster.events e WHERE e." + IS_OUTCOME.replace("type IN", "type IN")
        + "       AND e.schema_name > n.schema_name ORDER BY e.schema_name LIMIT 1)"
        + "   FROM names n WHERE n.schema_name IS NOT NULL)"
        + " SELECT (SELECT (e.data || jsonb_build_object('seq', e.seq, 'at', e.at))::text FROM muster.events e"
        + "   WHERE e." + IS_OUTCOME + " AND e.schema_name = n.schema_name"
        + "   ORDER BY e.seq DESC LIMIT 1) AS json"
        + " FROM names n WHERE n.schema_name IS NOT NULL";

  private final Pool pool;
  private final String orchestrator;

  /** The log on {@code pool}; what this replica appends is signed {@code orchestrator}. */
  public EventStore(Pool pool, String orchestrator) {
    this.pool = pool;
    this.orchestrator = orchestrator;
  }

  /** Appends an event and broadcasts it. */
  @Override
  public Future<Event> append(Payload payload) {
    return append(payload, pool);
  }

  @Override
  public Future<Event> append(Payload payload, SqlClient session) {
    JsonObject fields = EventCodec.encode(payload, orchestrator);
    // JsonObject parameters go over the wire as jsonb; a String would become a JSON string value.
    return (session == null ? pool : session).preparedQuery(APPEND)
        .execute(Tuple.of(payload.typeName(), payload.schema(), fields, notifyPayload(fields)))
        .map(rows -> EventCodec.decode(rows.iterator().next().getString("json")));
  }

  /**
   * Appends the events in one statement: one counter update for all of them (so they are numbered consecutively,
   * gapless, and commit together), one row and one NOTIFY each.
   */
  @Override
  public Future<List<Event>> appendAll(List<Payload> payloads) {
    if (payloads.size() == 1) return append(payloads.get(0)).map(List::of);
    Columns c = columns(payloads);
    return pool.preparedQuery(APPEND_ALL).execute(Tuple.of(c.types, c.schemas, c.data, c.notices)).map(EventStore::events);
  }

  /** The events of a multi-row append, column by column, as {@code APPEND_ALL} unnests them. */
  private record Columns(String[] types, String[] schemas, String[] data, String[] notices) {}

  private Columns columns(List<Payload> payloads) {
    int n = payloads.size();
    Columns c = new Columns(new String[n], new String[n], new String[n], new String[n]);
    for (int i = 0; i < n; i++) {
      Payload p = payloads.get(i);
      JsonObject fields = EventCodec.encode(p, orchestrator);
      c.types[i] = p.typeName();
      c.schemas[i] = p.schema();
      String data = fields.encode();
      c.data[i] = data;
      c.notices[i] = notice(fields, data);
    }
    return c;
  }

  /**
   * Appends an event on a JDBC connection, in that connection's transaction: the event and its NOTIFY exist
   * only if that transaction commits. The runner uses it to tie {@code migration.applied} to the migration's
   * own commit, so a migration rolled back by a crash never appears applied.
   */
  @Override
  public Event appendInTransaction(Connection connection, Payload payload) throws SQLException {
    JsonObject fields = EventCodec.encode(payload, orchestrator);
    try (PreparedStatement st = connection.prepareStatement(APPEND_JDBC)) {
      st.setString(1, payload.typeName());
      st.setString(2, payload.schema());
      String data = fields.encode();
      st.setString(3, data);
      st.setString(4, notice(fields, data));
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return EventCodec.decode(rs.getString(1));
      }
    }
  }

  @Override
  public long transaction(Connection connection) throws SQLException {
    try (PreparedStatement st = connection.prepareStatement("SELECT txid_current()"); ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public Future<Boolean> committed(long transaction) {
    return pool.preparedQuery("SELECT coalesce(txid_status($1) = 'committed', false) AS committed")
        .execute(Tuple.of(transaction)).map(rows -> rows.iterator().next().getBoolean("committed"));
  }

  /**
   * As {@link #appendAll}, blocking, in {@code transaction}: one statement (one wait for the counter row however
   * many events), and the events exist only if that transaction commits.
   */
  public void appendAllInTransaction(Connection transaction, List<Payload> payloads) throws SQLException {
    Columns c = columns(payloads);
    try (PreparedStatement st = transaction.prepareStatement(APPEND_ALL_JDBC)) {
      st.setArray(1, transaction.createArrayOf("text", c.types));
      st.setArray(2, transaction.createArrayOf("text", c.schemas));
      st.setArray(3, transaction.createArrayOf("text", c.data));
      st.setArray(4, transaction.createArrayOf("text", c.notices));
      st.executeQuery().close();
    }
  }

  private static String appendAllSql(String types, String schemas, String data, String payloads) {
    return "WITH input AS (SELECT t.type, t.schema_name, t.data::jsonb AS data,"
        + "   t.payload::jsonb AS payload, t.n FROM unnest(" + types + "::text[], " + schemas + "::text[], " + data
        + "::text[], " + payloads + "::text[])"
        + "   WITH ORDINALITY AS t(type, schema_name, data, payload, n)),"
        + " next AS (UPDATE muster.event_counter SET seq = seq + (SELECT count(*) FROM input)"
        + "   RETURNING seq - (SELECT count(*) FROM input) AS base),"
        + " appended AS (INSERT INTO muster.events (seq, at, type, schema_name, data)"
        + "   SELECT next.base + input.n, clock_timestamp(), input.type, input.schema_name, input.data"
        + "   FROM next, input ORDER BY input.n RETURNING seq, at, data)"
        + " SELECT (a.data || jsonb_build_object('seq', a.seq, 'at', a.at))::text AS json,"
        + "   pg_notify('" + CHANNEL + "', (input.payload || jsonb_build_object('seq', a.seq, 'at', a.at))::text)"
        + " FROM appended a, next, input WHERE a.seq = next.base + input.n ORDER BY a.seq";
  }

  private static String appendSql(String type, String schema, String data, String payload) {
    return "WITH next AS (UPDATE muster.event_counter SET seq = seq + 1 RETURNING seq),"
        + " appended AS (INSERT INTO muster.events (seq, at, type, schema_name, data)"
        + "   SELECT seq, clock_timestamp(), " + type + ", " + schema + ", " + data + " FROM next RETURNING seq, at, data)"
        + " SELECT (data || jsonb_build_object('seq', seq, 'at', at))::text AS json,"
        + "   pg_notify('" + CHANNEL + "', ((" + payload + ") || jsonb_build_object('seq', seq, 'at', at))::text)"
        + " FROM appended";
  }

  /** Events after {@code seq}, oldest first, at most {@code limit}; only those of {@code schema} when not null. */
  public Future<List<Event>> after(long seq, String schema, int limit) {
    if (schema == null) {
      return pool.preparedQuery(SELECT_JSON + " WHERE seq > $1 ORDER BY seq LIMIT $2")
          .execute(Tuple.of(seq, limit)).map(EventStore::events);
    }
    return pool.preparedQuery(SELECT_JSON + " WHERE seq > $1 AND schema_name = $2 ORDER BY seq LIMIT $3")
        .execute(Tuple.of(seq, schema, limit)).map(EventStore::events);
  }

  /** The number of the newest committed event (0 for an empty log). */
  public Future<Long> lastSeq() {
    return pool.query("SELECT seq FROM muster.event_counter").execute()
        .map(rows -> rows.iterator().next().getLong("seq"));
  }

  /**
   * Events after {@code seq} as {@link #after} reads them, with the log's horizon and its counter in the same snapshot:
   * a replay that starts before the horizon may have missed pruned events, and says so; and the counter says how far
   * the page has looked, the events of other schemas included. The events are {@link Event#stored}: a stream frames
   * their text as it is, without decoding it (a deploy over thousands of schemas leaves tens of thousands to replay).
   */
  public Future<Page> page(long seq, String schema, int limit) {
    String events = "SELECT seq, type, schema_name, (data || jsonb_build_object('seq', seq, 'at', at))::text AS json"
        + " FROM muster.events WHERE seq > $1" + (schema == null ? "" : " AND schema_name = $3") + " ORDER BY seq LIMIT $2";
    Tuple params = schema == null ? Tuple.of(seq, limit) : Tuple.of(seq, limit, schema);
    return pool.preparedQuery("SELECT NULL::bigint AS seq, NULL::text AS type, NULL::text AS schema_name, NULL::text AS json,"
            + " (SELECT seq FROM muster.event_horizon) AS horizon, (SELECT seq FROM muster.event_counter) AS through"
            + " UNION ALL (SELECT *, NULL, NULL FROM (" + events + ") e)")
        .execute(params).map(rows -> {
          long horizon = 0;
          long through = seq;
          List<Event> list = new ArrayList<>(rows.size());
          for (Row row : rows) {
            String json = row.getString("json");
            if (json == null) {
              Long h = row.getLong("horizon");
              horizon = h == null ? 0 : h;
              through = row.getLong("through");
            } else {
              String type = row.getString("type");
              // An election's text is completed when decoded (its run is its number): decode that one now.
              list.add(EventType.MIGRATOR_ELECTED.wire().equals(type) ? EventCodec.decode(json)
                  : Event.stored(row.getLong("seq"), type, row.getString("schema_name"), EventCodec.compact(json)));
            }
          }
          list.sort(Comparator.comparingLong(Event::seq));
          return new Page(list, horizon, Math.max(through, seq));
        });
  }

  /**
   * A page of the log, its horizon (after {@code horizon} the log is whole) and how far it looked: when the page is
   * not full, it holds every event up to {@code through} that its reader asked for.
   */
  public record Page(List<Event> events, long horizon, long through) {}

  /**
   * Each schema's latest outcome, one index probe per schema (a skip scan over {@code events_outcomes}): a replica
   * reads it at start, and it stays quick however long the log is.
   */
  @Override
  public Future<List<Event>> lastOutcomes() {
    return pool.query(LAST_OUTCOMES)
        .execute().map(EventStore::events);
  }

  /**
   * Read with JDBC, by a command that runs no replica ({@code status}): each of {@code schemas}' last outcome and
   * every event of it since, oldest first — what a projection needs to tell its state. Empty while the log does not
   * exist yet.
   */
  public static List<Event> sinceLastOutcome(Connection c, Collection<String> schemas) throws SQLException {
    try (PreparedStatement exists = c.prepareStatement("SELECT to_regclass('muster.events') IS NOT NULL");
        ResultSet rs = exists.executeQuery()) {
      if (!rs.next() || !rs.getBoolean(1)) return List.of();
    }
    Array names = c.createArrayOf("text", schemas.toArray());
    try (PreparedStatement st = c.prepareStatement("WITH last AS (SELECT schema_name, max(seq) AS seq FROM muster.events"
        + "   WHERE schema_name = ANY(?) AND " + IS_OUTCOME + " GROUP BY schema_name)"
        + " SELECT (e.data || jsonb_build_object('seq', e.seq, 'at', e.at))::text FROM muster.events e"
        + " LEFT JOIN last USING (schema_name) WHERE e.schema_name = ANY(?) AND e.seq >= coalesce(last.seq, 0)"
        + " ORDER BY e.seq")) {
      st.setArray(1, names);
      st.setArray(2, names);
      List<Event> events = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) events.add(EventCodec.decode(rs.getString(1)));
      }
      return events;
    }
  }

  /**
   * The NOTIFY copy of an event: whole when it fits, otherwise with its long texts cut and
   * {@code "truncated": true}, so a receiver knows to read the whole event from the table.
   */
  static JsonObject notifyPayload(JsonObject fields) {
    return fits(fields.encode()) ? fields : truncated(fields);
  }

  /** As {@link #notifyPayload}, as text, for an event already encoded as {@code data}: most are sent as they are. */
  static String notice(JsonObject fields, String data) {
    return fits(data) ? data : truncated(fields).encode();
  }

  private static JsonObject truncated(JsonObject fields) {
    JsonObject copy = fields.copy().put(Fields.TRUNCATED, true);
    JsonObject error = copy.getJsonObject(Fields.ERROR);
    if (error != null) error.put(Fields.MESSAGE, cut(error.getString(Fields.MESSAGE), 2000));
    if (error != null && error.getString(Fields.OUTPUT) != null) error.put(Fields.OUTPUT, cut(error.getString(Fields.OUTPUT), 1000));
    if (copy.getString(Fields.DESCRIPTION) != null) {
      copy.put(Fields.DESCRIPTION, cut(copy.getString(Fields.DESCRIPTION), 500));
    }
    if (fits(copy.encode())) return copy;
    // Still too long (huge identifiers elsewhere): the receiver only needs to know which event to read.
    return new JsonObject().put(Fields.TYPE, fields.getString(Fields.TYPE)).put(Fields.SCHEMA, fields.getString(Fields.SCHEMA))
        .put(Fields.TRUNCATED, true);
  }

  /** Whether a JSON text fits a NOTIFY; its bytes are counted only when it could be too long (≤ 3 a character). */
  private static boolean fits(String json) {
    return json.length() * 3 <= MAX_PAYLOAD_BYTES || json.getBytes(StandardCharsets.UTF_8).length <= MAX_PAYLOAD_BYTES;
  }

  private static String cut(String s, int maxChars) {
    if (s == null || s.length() <= maxChars) return s;
    return s.substring(0, maxChars) + "…";
  }

  private static List<Event> events(RowSet<Row> rows) {
    List<Event> events = new ArrayList<>(rows.size());
    for (Row row : rows) events.add(EventCodec.decode(row.getString("json")));
    return events;
  }
}
