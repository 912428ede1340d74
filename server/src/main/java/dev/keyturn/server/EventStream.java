package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.WireJson;
import dev.keyturn.store.ChangeEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One open {@code GET /v1/watch} stream: Server-Sent Events written without holding a thread, one
 * write at a time, in order. A client that falls more than {@link #MAX_QUEUED} messages behind is
 * disconnected (it reconnects with {@code Last-Event-ID} and misses nothing). Events carry names,
 * numbers and stages, never a value. Thread-safe.
 */
final class EventStream {
  static final int MAX_QUEUED = 10_000;

  private final Response response;
  private final Callback callback;
  private final String folder;
  private final Predicate<String> visible;
  private final String authorization;
  private final Runnable onEnd;
  private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
  private boolean writing;
  private boolean ending;
  private boolean ended;

  EventStream(
      Response response,
      Callback callback,
      String folder,
      Predicate<String> visible,
      String authorization,
      Runnable onEnd) {
    this.response = requireNonNull(response, "response");
    this.callback = requireNonNull(callback, "callback");
    this.folder = requireNonNull(folder, "folder");
    this.visible = requireNonNull(visible, "visible");
    this.authorization = requireNonNull(authorization, "authorization");
    this.onEnd = requireNonNull(onEnd, "onEnd");
  }

  /** The Authorization header the stream was opened with, to check it again; never logged. */
  String authorization() {
    return authorization;
  }

  /** Whether {@code event} is for a name below this stream's prefix that its token may see. */
  boolean wants(ChangeEvent event) {
    String name = event.name();
    boolean below =
        folder.isEmpty()
            || name.equals(folder)
            || (name.startsWith(folder) && name.charAt(folder.length()) == '/');
    return below && visible.test(name);
  }

  /**
   * The {@code version} message for {@code event}: built once per event and handed to every stream
   * that {@linkplain #wants wants} it (a fan-out to a thousand streams serialized it a thousand
   * times). The array is never written to.
   */
  static byte[] versionMessage(ChangeEvent event) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("name", event.name());
    data.put("version", event.version());
    data.put("stage", event.stage());
    data.put("at", event.at().toString());
    return ("id: "
            + event.id()
            + "\nevent: version\ndata: "
            + new String(WireJson.mapper().writeValueAsBytes(data), StandardCharsets.UTF_8)
            + "\n\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Sends a message from {@link #versionMessage}. */
  void version(byte[] message) {
    send(ByteBuffer.wrap(message));
  }

  /** Tells the client to re-read everything it follows; {@code id} is where to resume from. */
  void reset(long id) {
    send("id: " + id + "\nevent: reset\ndata: {}\n\n");
  }

  void comment(String text) {
    send(": " + text + "\n\n");
  }

  private void send(String message) {
    send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)));
  }

  private void send(ByteBuffer bytes) {
    synchronized (this) {
      if (ending) {
        return;
      }
      if (queue.size() >= MAX_QUEUED) {
        ending = true;
        queue.clear();
      } else {
        queue.add(bytes);
      }
    }
    pump();
  }

  /** Ends the stream after what is queued. */
  void end() {
    synchronized (this) {
      ending = true;
    }
    pump();
  }

  boolean ended() {
    synchronized (this) {
      return ending || ended;
    }
  }

  private void pump() {
    ByteBuffer next;
    boolean last;
    synchronized (this) {
      if (writing || ended) {
        return;
      }
      next = queue.poll();
      if (next == null && !ending) {
        return;
      }
      last = next == null;
      writing = true;
      if (last) {
        ended = true;
      }
    }
    if (last) {
      onEnd.run();
      response.write(true, ByteBuffer.allocate(0), callback);
      return;
    }
    response.write(
        false,
        next,
        Callback.from(
            () -> {
              synchronized (this) {
                writing = false;
              }
              pump();
            },
            this::failed));
  }

  private void failed(Throwable failure) {
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
      ending = true;
      queue.clear();
    }
    onEnd.run();
    callback.failed(failure);
  }
}
