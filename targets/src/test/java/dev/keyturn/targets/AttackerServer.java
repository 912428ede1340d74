package dev.keyturn.targets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A database an attacker runs on another loopback address (127.0.0.5): it accepts connections,
 * sends its greeting (a PostgreSQL request for a clear-text password, a MariaDB handshake asking
 * for {@code mysql_clear_password}, or nothing), and records every byte a client sends, so a test
 * can show that Keyturn never connected, or never sent a password.
 */
final class AttackerServer implements AutoCloseable {
  /** What the server says first, given what the client sent so far (empty: nothing yet). */
  interface Greeting {
    byte[] answer(InputStream in) throws IOException;
  }

  private final ServerSocket socket;
  private final AtomicInteger connections = new AtomicInteger();
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private final Thread thread;

  private AttackerServer(Greeting greeting) throws IOException {
    this(greeting, InetAddress.getByName("127.0.0.5"));
  }

  /** Listens on {@code address}; {@code null}: every address of the machine, IPv4 and IPv6. */
  private AttackerServer(Greeting greeting, InetAddress address) throws IOException {
    socket = new ServerSocket(0, 50, address);
    thread =
        Thread.ofVirtual()
            .start(() -> {
              while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                  connections.incrementAndGet();
                  s.setSoTimeout(3000);
                  InputStream in = new Recording(s.getInputStream());
                  byte[] answer = greeting.answer(in);
                  s.getOutputStream().write(answer);
                  s.getOutputStream().flush();
                  in.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException e) {
                  // the client hung up or the test closed the server
                }
              }
            });
  }

  /** A server that accepts and says nothing. */
  static AttackerServer silent() throws IOException {
    return new AttackerServer(in -> new byte[0]);
  }

  /** A server on every address of the machine ({@code localhost} included) that says nothing. */
  static AttackerServer silentEverywhere() throws IOException {
    return new AttackerServer(in -> new byte[0], null);
  }

  /** A PostgreSQL server that answers any startup message with "send your password in clear". */
  static AttackerServer postgresAskingForClearText() throws IOException {
    return new AttackerServer(in -> {
      byte[] length = in.readNBytes(4);
      int n =
          ((length[0] & 0xff) << 24)
              | ((length[1] & 0xff) << 16)
              | ((length[2] & 0xff) << 8)
              | (length[3] & 0xff);
      in.readNBytes(n - 4);
      return new byte[] {'R', 0, 0, 0, 8, 0, 0, 0, 3};
    });
  }

  int port() {
    return socket.getLocalPort();
  }

  int connections() {
    return connections.get();
  }

  /** Everything clients sent, as text (binary bytes kept as they are). */
  String received() {
    synchronized (received) {
      return received.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Recording extends java.io.FilterInputStream {
    Recording(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        synchronized (received) {
          received.write(b);
        }
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        synchronized (received) {
          received.write(buffer, offset, n);
        }
      }
      return n;
    }
  }
}
