package dev.muster.client.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough JSON for the orchestrator's small messages: a strict reader (RFC 8259) and string
 * quoting for the request body we write by hand.
 *
 * <p>Values read: {@code String}, {@code Boolean}, {@code null}, {@code Long} for integers that fit,
 * {@code BigDecimal} for every other number, {@code Map<String, Object>} for objects (in document
 * order) and {@code List<Object>} for arrays; all unmodifiable.
 */
public final class Json {
  /** Deep enough for any message we expect; stops hostile input from overflowing the stack. */
  private static final int MAX_DEPTH = 64;

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /**
   * Reads a JSON text whose top-level value is an object.
   *
   * @throws IllegalArgumentException if {@code text} is not exactly one well-formed JSON object;
   *     the message gives the offset and what was expected there
   */
  public static Map<String, Object> parseObject(String text) {
    Json reader = new Json(text);
    reader.skipWhitespace();
    if (!reader.at('{')) {
      throw reader.malformed("expected '{'");
    }
    Map<String, Object> object = reader.readObject(1);
    reader.skipWhitespace();
    if (reader.pos < text.length()) {
      throw reader.malformed("unexpected text after the object");
    }
    return object;
  }

  /** Returns {@code value} as a JSON string literal, quotes included. */
  public static String quote(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /**
   * The text of a string value, or the literal of a number (some writers send a version as {@code 4}
   * rather than {@code "4"}); {@code null} for anything else.
   */
  public static String text(Object value) {
    if (value instanceof String string) {
      return string;
    }
    if (value instanceof BigDecimal decimal) {
      return decimal.toPlainString();
    }
    return value instanceof Long ? value.toString() : null;
  }

  private Object readValue(int depth) {
    skipWhitespace();
    if (pos >= text.length()) {
      throw malformed("unexpected end of input");
    }
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> readObject(depth + 1);
      case '[' -> readArray(depth + 1);
      case '"' -> readString();
      case 't' -> readLiteral("true", Boolean.TRUE);
      case 'f' -> readLiteral("false", Boolean.FALSE);
      case 'n' -> readLiteral("null", null);
      default -> {
        if (c == '-' || isDigit(c)) {
          yield readNumber();
        }
        throw malformed("unexpected character '" + c + "'");
      }
    };
  }

  private Map<String, Object> readObject(int depth) {
    checkDepth(depth);
    pos++; // '{'
    Map<String, Object> object = new LinkedHashMap<>();
    skipWhitespace();
    if (at('}')) {
      pos++;
      return Collections.unmodifiableMap(object);
    }
    while (true) {
      skipWhitespace();
      if (!at('"')) {
        throw malformed("expected a member name in double quotes");
      }
      String name = readString();
      skipWhitespace();
      expect(':');
      object.put(name, readValue(depth));
      skipWhitespace();
      if (at(',')) {
        pos++;
      } else if (at('}')) {
        pos++;
        return Collections.unmodifiableMap(object);
      } else {
        throw malformed("expected ',' or '}'");
      }
    }
  }

  private List<Object> readArray(int depth) {
    checkDepth(depth);
    pos++; // '['
    List<Object> array = new ArrayList<>();
    skipWhitespace();
    if (at(']')) {
      pos++;
      return Collections.unmodifiableList(array);
    }
    while (true) {
      array.add(readValue(depth));
      skipWhitespace();
      if (at(',')) {
        pos++;
      } else if (at(']')) {
        pos++;
        return Collections.unmodifiableList(array);
      } else {
        throw malformed("expected ',' or ']'");
      }
    }
  }

  private String readString() {
    pos++; // opening quote
    StringBuilder out = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == '"') {
        return out.toString();
      }
      if (c == '\\') {
        out.append(readEscape());
      } else if (c < 0x20) {
        pos--;
        throw malformed("control character in a string must be escaped");
      } else {
        out.append(c);
      }
    }
    throw malformed("unterminated string");
  }

  private char readEscape() {
    if (pos >= text.length()) {
      throw malformed("unterminated escape");
    }
    char c = text.charAt(pos++);
    return switch (c) {
      case '"', '\\', '/' -> c;
      case 'b' -> '\b';
      case 'f' -> '\f';
      case 'n' -> '\n';
      case 'r' -> '\r';
      case 't' -> '\t';
      case 'u' -> readHexChar();
      default -> {
        pos--;
        throw malformed("invalid escape '\\" + c + "'");
      }
    };
  }

  /** The four hex digits after backslash-u. A surrogate pair arrives as two escapes, one char each. */
  private char readHexChar() {
    if (pos + 4 > text.length()) {
      throw malformed("expected four hex digits");
    }
    int value = 0;
    for (int i = 0; i < 4; i++) {
      int digit = Character.digit(text.charAt(pos), 16);
      if (digit < 0) {
        throw malformed("expected a hex digit");
      }
      value = value * 16 + digit;
      pos++;
    }
    return (char) value;
  }

  private Number readNumber() {
    int start = pos;
    if (at('-')) {
      pos++;
    }
    if (at('0')) {
      pos++;
    } else if (pos < text.length() && isDigit(text.charAt(pos))) {
      skipDigits();
    } else {
      throw malformed("expected a digit");
    }
    boolean integral = true;
    if (at('.')) {
      integral = false;
      pos++;
      requireDigits();
    }
    if (at('e') || at('E')) {
      integral = false;
      pos++;
      if (at('+') || at('-')) {
        pos++;
      }
      requireDigits();
    }
    String literal = text.substring(start, pos);
    if (integral) {
      try {
        return Long.parseLong(literal);
      } catch (NumberFormatException tooBig) {
        // falls through to BigDecimal, which has no range limit
      }
    }
    return new BigDecimal(literal);
  }

  private void requireDigits() {
    if (pos >= text.length() || !isDigit(text.charAt(pos))) {
      throw malformed("expected a digit");
    }
    skipDigits();
  }

  private void skipDigits() {
    while (pos < text.length() && isDigit(text.charAt(pos))) {
      pos++;
    }
  }

  private Object readLiteral(String literal, Object value) {
    if (!text.startsWith(literal, pos)) {
      throw malformed("expected '" + literal + "'");
    }
    pos += literal.length();
    return value;
  }

  private void expect(char c) {
    if (!at(c)) {
      throw malformed("expected '" + c + "'");
    }
    pos++;
  }

  private boolean at(char c) {
    return pos < text.length() && text.charAt(pos) == c;
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private void checkDepth(int depth) {
    if (depth > MAX_DEPTH) {
      throw malformed("nested deeper than " + MAX_DEPTH + " levels");
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private IllegalArgumentException malformed(String what) {
    return new IllegalArgumentException("malformed JSON at offset " + pos + ": " + what);
  }
}
