package dev.muster.orchestrator.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Who may call what. The write token ({@code MUSTER_TOKEN}) is needed for every call that changes something;
 * the read token ({@code MUSTER_READ_TOKEN}), when set, for the calls that only show state, which the write
 * token may make as well. Tokens come as {@code Authorization: Bearer <token>}; an event stream, which a
 * browser's {@code EventSource} opens without headers, may carry the read token as {@code ?access_token=}.
 *
 * <p>Tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}: the time taken tells neither
 * how much of a guess was right nor how long the token is.
 */
final class Access {
  static final String QUERY_PARAMETER = "access_token";
  private static final String CHALLENGE = "Bearer realm=\"muster\"";

  private final byte[] write;
  private final byte[] read;

  Access(String writeToken, String readToken) {
    this.write = writeToken == null ? null : sha256(writeToken);
    this.read = readToken == null ? null : sha256(readToken);
  }

  boolean writesOpen() {
    return write == null;
  }

  boolean readsOpen() {
    return read == null;
  }

  /** Throws 401 (no or a wrong token) or 403 (the read token) unless the request carries the write token. */
  void requireWrite(HttpServerRequest request) {
    if (write == null) return;
    String given = bearer(request);
    if (given == null) {
      throw challenge(request, null, "this call needs the write token: send Authorization: Bearer <MUSTER_TOKEN>");
    }
    byte[] digest = sha256(given);
    boolean isWrite = MessageDigest.isEqual(digest, write);
    boolean isRead = read != null && MessageDigest.isEqual(digest, read);
    if (isWrite) return;
    if (isRead) {
      request.response().putHeader("WWW-Authenticate", CHALLENGE + ", error=\"insufficient_scope\"");
      throw new ApiException(403, "forbidden", "the read token (MUSTER_READ_TOKEN) may only read; this call needs "
          + "the write token (MUSTER_TOKEN)");
    }
    throw challenge(request, "invalid_token", "the bearer token is not valid for this orchestrator");
  }

  /**
   * Throws 401 unless reads are open or the request carries the read or the write token. With
   * {@code queryAllowed}, the read token (never the write token) may come as {@code ?access_token=}.
   */
  void requireRead(HttpServerRequest request, boolean queryAllowed) {
    if (read == null) return;
    String given = bearer(request);
    boolean inUrl = false;
    if (given == null && queryAllowed) {
      List<String> values = Params.all(request, QUERY_PARAMETER);
      if (values.size() > 1) throw new ApiException(400, "invalid_request", QUERY_PARAMETER + " is given more than once");
      given = values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
      inUrl = given != null;
    }
    if (given == null) {
      throw challenge(request, null, "reading this orchestrator's state needs a token: send Authorization: Bearer "
          + "<MUSTER_READ_TOKEN>" + (queryAllowed ? " or ?" + QUERY_PARAMETER + "=<MUSTER_READ_TOKEN>" : ""));
    }
    byte[] digest = sha256(given);
    boolean isRead = MessageDigest.isEqual(digest, read);
    boolean isWrite = write != null && MessageDigest.isEqual(digest, write);
    if (isRead || (isWrite && !inUrl)) return;
    if (isWrite) {
      throw challenge(request, "invalid_token", "?" + QUERY_PARAMETER + "= may only carry the read token "
          + "(MUSTER_READ_TOKEN): URLs end up in logs and browser history; send the write token in the Authorization header");
    }
    throw challenge(request, "invalid_token", "the bearer token is not valid for this orchestrator");
  }

  /** The token of an {@code Authorization: Bearer} header, {@code null} without one. */
  private static String bearer(HttpServerRequest request) {
    String header = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null) return null;
    String trimmed = header.trim();
    if (trimmed.length() < 7 || !trimmed.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw challenge(request, "invalid_request", "only bearer tokens are accepted: Authorization: Bearer <token>");
    }
    String token = trimmed.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  private static ApiException challenge(HttpServerRequest request, String error, String message) {
    request.response().putHeader("WWW-Authenticate",
        error == null ? CHALLENGE : CHALLENGE + ", error=\"" + error + "\"");
    return new ApiException(401, "unauthorized", message);
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
