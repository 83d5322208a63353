package dev.muster.testing;

import dev.muster.postgres.PostgresUrl;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One fresh database on the shared server, from {@link PostgresServer#createDatabase()} or injected by
 * {@link PostgresExtension}. Immutable.
 *
 * <p>The helpers {@link #query}, {@link #queryLong} and {@link #execute} are for assertions and setup in
 * tests: each opens a short-lived connection, binds {@code ?} parameters with {@code setObject}, and
 * reports SQL errors as {@link IllegalStateException} naming the statement.
 */
public final class TestDatabase {

    private final String name;
    private final String host;
    private final int port;
    private final String user;
    private final String password;

    TestDatabase(String name, String host, int port, String user, String password) {
        this.name = name;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
    }

    public String name() {
        return name;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    /** Empty when the server trusts {@link #user()}, as the embedded one does. */
    public String password() {
        return password;
    }

    /** {@code jdbc:postgresql://host:port/name}, without credentials. */
    public String jdbcUrl() {
        return PostgresServer.jdbcUrl(host, port, name);
    }

    /**
     * {@code postgresql://user:password@host:port/name} with user and password percent-encoded, as libpq
     * and Muster read it; {@code postgresql://user@host:port/name} when the password is empty.
     */
    public String url() {
        return PostgresUrl.of(host, port, name, user, password).uri();
    }

    /** A new JDBC connection with the credentials; the caller closes it. */
    public Connection connect() throws SQLException {
        return PostgresServer.connect(host, port, name, user, password);
    }

    /**
     * Rows as maps from column label to value, in column order.
     *
     * @throws IllegalStateException also when two columns have the same label, which a map would hide
     */
    public List<Map<String, Object>> query(String sql, Object... params) {
        try (Connection connection = connect(); PreparedStatement statement = prepare(connection, sql, params);
                ResultSet rows = statement.executeQuery()) {
            ResultSetMetaData columns = rows.getMetaData();
            List<Map<String, Object>> result = new ArrayList<>();
            while (rows.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= columns.getColumnCount(); i++) {
                    String label = columns.getColumnLabel(i);
                    if (row.containsKey(label)) {
                        throw new IllegalStateException(
                                "Two columns are labelled " + label + ": give them distinct aliases\nSQL: " + sql);
                    }
                    row.put(label, rows.getObject(i));
                }
                result.add(Collections.unmodifiableMap(row));
            }
            return Collections.unmodifiableList(result);
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /**
     * The one number the query returns, such as a {@code count(*)}.
     *
     * @throws IllegalStateException unless the result is exactly one row with one non-null numeric column
     */
    public long queryLong(String sql, Object... params) {
        List<Map<String, Object>> rows = query(sql, params);
        if (rows.size() != 1 || rows.get(0).size() != 1
                || !(rows.get(0).values().iterator().next() instanceof Number number)) {
            throw new IllegalStateException("Expected one row with one number from " + sql + " but got " + rows);
        }
        return number.longValue();
    }

    /** Runs a statement, or several separated by {@code ;} when there are no parameters. */
    public void execute(String sql, Object... params) {
        try (Connection connection = connect(); PreparedStatement statement = prepare(connection, sql, params)) {
            statement.execute();
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    @Override
    public String toString() {
        return "TestDatabase[" + name + " at " + host + ":" + port + "]";
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... params)
            throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            statement.setObject(i + 1, params[i]);
        }
        return statement;
    }

    private static IllegalStateException failed(String sql, SQLException e) {
        return new IllegalStateException(e.getMessage() + "\nSQL: " + sql, e);
    }
}
