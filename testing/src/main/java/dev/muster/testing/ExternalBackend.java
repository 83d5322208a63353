package dev.muster.testing;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** A server someone else runs, named by {@code MUSTER_TEST_DATABASE_URL}. */
record ExternalBackend(String host, int port, String user, String password, String adminDatabase)
        implements Backend {

    private static final String FORM = "postgresql://user:password@host:5432/db, postgres://…,"
            + " or jdbc:postgresql://host:5432/db?user=…&password=…";

    @Override
    public String kind() {
        return "external";
    }

    @Override
    public String toString() {
        return "ExternalBackend[" + user + "@" + host + ":" + port + "/" + adminDatabase + "]"; // no password
    }

    /**
     * Accepts {@value #FORM}. The port defaults to 5432 and the database to {@code postgres}; user and
     * password are percent-decoded. Error messages never repeat the URL, which holds a password.
     */
    static ExternalBackend parse(String url) {
        URI uri;
        try {
            uri = new URI(url.startsWith("jdbc:") ? url.substring("jdbc:".length()) : url);
        } catch (URISyntaxException e) {
            throw invalid("it is not a URL");
        }
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
            throw invalid("the scheme is not postgresql");
        }
        if (uri.getHost() == null) {
            throw invalid("it names no host");
        }
        Map<String, String> credentials = queryParameters(uri.getRawQuery());
        if (uri.getRawUserInfo() != null) {
            String[] userAndPassword = uri.getRawUserInfo().split(":", 2);
            credentials.put("user", decode(userAndPassword[0]));
            if (userAndPassword.length == 2) {
                credentials.put("password", decode(userAndPassword[1]));
            }
        }
        String user = credentials.get("user");
        if (user == null || user.isEmpty()) {
            throw invalid("it names no user");
        }
        String database = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        return new ExternalBackend(uri.getHost(), uri.getPort() == -1 ? 5432 : uri.getPort(), user,
                credentials.getOrDefault("password", ""), database.isEmpty() ? "postgres" : database);
    }

    private static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> parameters = new HashMap<>();
        if (rawQuery == null) {
            return parameters;
        }
        for (String pair : rawQuery.split("&")) {
            String[] keyAndValue = pair.split("=", 2);
            String key = decode(keyAndValue[0]);
            if (!key.equals("user") && !key.equals("password")) {
                throw invalid("it has the parameter '" + key + "'; only user and password are understood");
            }
            parameters.put(key, keyAndValue.length == 2 ? decode(keyAndValue[1]) : "");
        }
        return parameters;
    }

    /** Percent-decoding as in RFC 3986: unlike URLDecoder alone it keeps '+', which passwords may contain. */
    private static String decode(String text) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid("it has a malformed %-escape"); // URLDecoder's message would quote the password
        }
    }

    private static IllegalArgumentException invalid(String why) {
        return new IllegalArgumentException("MUSTER_TEST_DATABASE_URL (or -Dmuster.test.database.url) is unusable: "
                + why + ". Expected " + FORM + ".");
    }
}
