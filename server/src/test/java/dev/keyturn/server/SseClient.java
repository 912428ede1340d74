package dev.keyturn.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A minimal Server-Sent Events reader over a raw socket, for tests: each event (or comment) read is
 * queued as it arrives; {@link #next} waits for the next one.
 */
final class SseClient implements AutoCloseable {
  /** One message: its id, event type and data, or a comment (type {@code ":"}). */
  record Message(String id, String type, String data) {}

  static final Message END = new Message("", "end", "");

  private final Socket socket;
  private final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
  final String status;

  SseClient(int port, String pathAndQuery, String token, String lastEventId) throws IOException {
    socket = new Socket("127.0.0.1", port);
    OutputStream out = socket.getOutputStream();
    out.write(
        ("GET "
                + pathAndQuery
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                + "Authorization: Bearer "
                + token
                + "\r\n"
                + (lastEventId == null ? "" : "Last-Event-ID: " + lastEventId + "\r\n")
                + "\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    status = in.readLine();
    boolean chunked = false;
    String line;
    while ((line = in.readLine()) != null && !line.isEmpty()) {
      chunked |= line.toLowerCase().startsWith("transfer-encoding: chunked");
    }
    boolean isChunked = chunked;
    Thread reader = new Thread(() -> read(in, isChunked), "sse-client");
    reader.setDaemon(true);
    reader.start();
  }

  private void read(BufferedReader in, boolean chunked) {
    try {
      String id = null;
      String type = "message";
      StringBuilder data = new StringBuilder();
      String line;
      while ((line = in.readLine()) != null) {
        if (chunked && line.matches("[0-9a-fA-F]+") && data.isEmpty() && id == null) {
          if (Long.parseLong(line, 16) == 0) {
            break; // the last chunk: the response ended
          }
          continue; // a chunk-size line
        }
        if (line.isEmpty()) {
          if (id != null || !data.isEmpty() || !type.equals("message")) {
            messages.add(new Message(id, type, data.toString()));
          }
          id = null;
          type = "message";
          data.setLength(0);
        } else if (line.startsWith(":")) {
          messages.add(new Message(null, ":", line.substring(1).strip()));
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          type = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
    } catch (IOException e) {
      // the connection closed
    }
    messages.add(END);
  }

  /** The next message, waiting at most 30 s (then {@code null}). */
  Message next() throws InterruptedException {
    return messages.poll(30, TimeUnit.SECONDS);
  }

  /** The next message that is not a comment. */
  Message nextEvent() throws InterruptedException {
    Message m;
    do {
      m = next();
    } while (m != null && m.type().equals(":"));
    return m;
  }

  /** Reads up to and including the {@code : ready} comment; returns the events before it. */
  java.util.List<Message> untilReady() throws InterruptedException {
    java.util.List<Message> out = new java.util.ArrayList<>();
    while (true) {
      Message m = next();
      if (m == null || m == END) {
        throw new AssertionError("the stream ended before it was ready: " + out);
      }
      if (m.type().equals(":") && m.data().equals("ready")) {
        return out;
      }
      out.add(m);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
