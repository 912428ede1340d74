package dev.keyturn.client.internal;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A Server-Sent Events parser (the WHATWG HTML "event stream interpretation"): lines end with CR,
 * LF or CRLF, even across chunks; {@code id}, {@code event} and {@code data} fields (several {@code
 * data} lines joined by LF); a line starting with {@code :} is a comment; a blank line dispatches.
 * An event with no data is not dispatched, but its {@code id} is kept. A line longer than {@link
 * #MAX_LINE} bytes, or an event whose data reaches {@link #MAX_LINE} characters, is an error. Not
 * thread-safe.
 */
final class SseParser {
  static final int MAX_LINE = 1 << 20;

  /** What the parser found. */
  interface Sink {
    /** A dispatched event; {@code lastEventId} is the last id seen so far (may be empty). */
    void event(String lastEventId, String type, String data);

    void comment(String text);
  }

  private final Sink sink;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private boolean afterCarriageReturn;
  private String lastEventId = "";
  private String type = "";
  private final StringBuilder data = new StringBuilder();
  private boolean hasData;

  SseParser(Sink sink) {
    this.sink = requireNonNull(sink, "sink");
  }

  /**
   * Parses {@code bytes}, calling the sink for each complete event or comment.
   *
   * @throws IllegalStateException when a line or an event is longer than {@link #MAX_LINE}
   */
  void feed(ByteBuffer bytes) {
    while (bytes.hasRemaining()) {
      byte b = bytes.get();
      if (b == '\n' && afterCarriageReturn) {
        afterCarriageReturn = false;
        continue;
      }
      afterCarriageReturn = b == '\r';
      if (b == '\n' || b == '\r') {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        line(text);
      } else {
        if (line.size() >= MAX_LINE) {
          throw new IllegalStateException("an event stream line is longer than " + MAX_LINE);
        }
        line.write(b);
      }
    }
  }

  private void line(String text) {
    if (text.isEmpty()) {
      dispatch();
      return;
    }
    if (text.startsWith(":")) {
      String comment = text.substring(1);
      sink.comment(comment.startsWith(" ") ? comment.substring(1) : comment);
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "event":
        type = value;
        break;
      case "data":
        if (data.length() + value.length() >= MAX_LINE) {
          // A stream that never ends its event would otherwise grow it until the heap runs out.
          throw new IllegalStateException("an event stream event is longer than " + MAX_LINE);
        }
        if (hasData) {
          data.append('\n');
        }
        data.append(value);
        hasData = true;
        break;
      case "id":
        if (value.indexOf('\0') < 0) {
          lastEventId = value;
        }
        break;
      default:
        // "retry" and unknown fields: this client sets its own back-off
        break;
    }
  }

  private void dispatch() {
    if (hasData) {
      sink.event(lastEventId, type.isEmpty() ? "message" : type, data.toString());
    }
    data.setLength(0);
    hasData = false;
    type = "";
  }
}
