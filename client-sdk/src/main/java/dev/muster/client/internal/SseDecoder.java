package dev.muster.client.internal;

/**
 * Turns the lines of one {@code text/event-stream} response into events, following the parsing
 * rules of the HTML standard ("Server-sent events", interpreting an event stream): {@code field:
 * value} lines, one optional space after the colon, {@code data} lines joined with a newline, a
 * blank line dispatching the event, {@code :} comments ignored. Not thread-safe; one per response.
 */
public final class SseDecoder {
  /**
   * One dispatched event. {@code id} is the stream's last event ID when the event was dispatched
   * (it carries over from earlier events, as the standard says) or {@code null} when none was set.
   */
  public record Event(String id, String type, String data) {}

  private static final String DEFAULT_TYPE = "message";

  private final StringBuilder data = new StringBuilder();
  private String type = "";
  private String lastEventId;
  private boolean firstLine = true;

  /** Feeds one line, without its terminator; returns the event it completes, or {@code null}. */
  public Event accept(String line) {
    if (firstLine) {
      firstLine = false;
      if (line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
    }
    if (line.isEmpty()) {
      return dispatch();
    }
    if (line.charAt(0) == ':') {
      return null;
    }
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = "";
    if (colon >= 0) {
      int start = line.startsWith(" ", colon + 1) ? colon + 2 : colon + 1;
      value = line.substring(start);
    }
    switch (field) {
      case "event" -> type = value;
      case "data" -> data.append(value).append('\n');
      case "id" -> {
        if (value.indexOf('\0') < 0) {
          lastEventId = value;
        }
      }
      default -> {
        // "retry" and unknown fields: ignored; reconnect timing is ours.
      }
    }
    return null;
  }

  private Event dispatch() {
    if (data.length() == 0) {
      type = "";
      return null;
    }
    data.setLength(data.length() - 1);
    Event event = new Event(lastEventId, type.isEmpty() ? DEFAULT_TYPE : type, data.toString());
    data.setLength(0);
    type = "";
    return event;
  }
}
