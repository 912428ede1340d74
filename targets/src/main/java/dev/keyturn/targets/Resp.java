package dev.keyturn.targets;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal Redis client speaking RESP2: one connection, one command at a time. Replies are {@link
 * String} (simple and bulk strings), {@link Long}, {@link List} or {@code null}; an error reply
 * throws {@link Error}. Enough for AUTH, PING and the ACL and CONFIG commands of the redis target,
 * without a client library and its dependencies.
 */
final class Resp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /** An error reply ({@code -ERR ...}); its message is the server's, which never holds a value. */
  static final class Error extends Exception {
    private static final long serialVersionUID = 1L;

    Error(String message) {
      super(message, null, false, false);
    }
  }

  Resp(String host, int port, int timeoutMillis) throws IOException {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(host, port), timeoutMillis);
      s.setSoTimeout(timeoutMillis);
      this.in = new BufferedInputStream(s.getInputStream());
      this.out = s.getOutputStream();
    } catch (IOException e) {
      s.close();
      throw e;
    }
    this.socket = s;
  }

  /** Sends one command and reads its reply. */
  Object call(String... args) throws IOException, Error {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    buffer.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (String arg : args) {
      byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
      buffer.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      buffer.writeBytes(bytes);
      buffer.writeBytes(new byte[] {'\r', '\n'});
    }
    out.write(buffer.toByteArray());
    out.flush();
    return read();
  }

  private Object read() throws IOException, Error {
    int type = in.read();
    if (type < 0) {
      throw new IOException("Redis closed the connection");
    }
    String line = line();
    return switch (type) {
      case '+' -> line;
      case '-' -> throw new Error(line);
      case ':' -> Long.parseLong(line);
      case '$' -> {
        int length = Integer.parseInt(line);
        if (length < 0) {
          yield null;
        }
        byte[] bytes = in.readNBytes(length + 2);
        if (bytes.length != length + 2) {
          throw new IOException("Redis closed the connection mid-reply");
        }
        yield new String(bytes, 0, length, StandardCharsets.UTF_8);
      }
      case '*' -> {
        int count = Integer.parseInt(line);
        if (count < 0) {
          yield null;
        }
        List<Object> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          try {
            items.add(read());
          } catch (Error e) {
            items.add(e);
          }
        }
        yield items;
      }
      default -> throw new IOException("not a RESP reply");
    };
  }

  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int previous = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("Redis closed the connection mid-reply");
      }
      if (previous == '\r' && b == '\n') {
        byte[] bytes = line.toByteArray();
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
      }
      line.write(b);
      previous = b;
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to do
    }
  }
}
