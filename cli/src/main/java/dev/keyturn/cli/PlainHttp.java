package dev.keyturn.cli;

import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnConnectionException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTP/1.1 exchange over a socket, for the CLI's fast path ({@link FastCli}): a few classes
 * instead of {@code java.net.http}'s several hundred. {@code https://} goes over TLS with the JDK's
 * trust store or the given context ({@code KEYTURN_CACERT}), and the server's certificate must name
 * the host (endpoint identification {@code HTTPS}, as {@code java.net.http} does); the request is
 * written only after the handshake. The caller has already applied the plain-HTTP rule (loopback,
 * or {@code --insecure-http}). The token goes in the {@code Authorization} header only and appears
 * in no message. Answers above {@link #MAX_BODY} bytes (or the limit a caller gives) are refused;
 * failures read as {@code WireClient}'s do.
 */
final class PlainHttp {
  static final int MAX_BODY = 16 << 20;
  private static final int MAX_HEAD = 64 << 10;
  private static final int TIMEOUT_MS = 30_000;

  /** A status and a body. */
  record Response(int status, byte[] body) {}

  private final URI address;
  private final String token;
  private final SSLContext tls;

  /** {@code tls}: for {@code https://}, the context to use, or null for the JDK's default. */
  PlainHttp(URI address, String token, SSLContext tls) {
    this.address = address;
    this.token = token;
    this.tls = tls;
  }

  URI address() {
    return address;
  }

  /** Sends {@code method target} with an optional JSON {@code body}; returns the answer. */
  Response send(String method, String target, byte[] body) {
    return send(method, target, body, MAX_BODY);
  }

  /** As {@link #send(String, String, byte[])}, refusing answers above {@code maxBody} bytes. */
  Response send(String method, String target, byte[] body, int maxBody) {
    boolean https = address.getScheme().equals("https");
    int port = address.getPort() != -1 ? address.getPort() : https ? 443 : 80;
    String host = address.getHost();
    String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(literal, port), TIMEOUT_MS);
      plain.setTcpNoDelay(true);
      plain.setSoTimeout(TIMEOUT_MS);
      Socket socket = https ? handshake(plain, literal, port) : plain;
      StringBuilder head = new StringBuilder(256);
      head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      head.append("Host: ").append(address.getRawAuthority()).append("\r\n");
      head.append("Accept: application/json\r\n");
      head.append("Authorization: Bearer ").append(token).append("\r\n");
      head.append("Connection: close\r\n");
      if (body != null) {
        head.append("Content-Type: application/json\r\n");
      }
      head.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      return read(socket.getInputStream(), deadline, maxBody);
    } catch (ConnectException | UnknownHostException e) {
      throw new KeyturnConnectionException(
          "cannot connect to Keyturn at " + address + " (is the server running? set KEYTURN_ADDR)",
          e);
    } catch (SocketTimeoutException e) {
      throw timeout(e);
    } catch (SSLException e) {
      throw new KeyturnConnectionException(
          "TLS with Keyturn at "
              + address
              + " failed ("
              + e.getMessage()
              + "); for a private CA set KEYTURN_CACERT",
          e);
    } catch (GeneralSecurityException e) {
      throw new KeyturnConnectionException(
          "TLS with Keyturn at " + address + " failed (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new KeyturnConnectionException(
          "talking to Keyturn at " + address + " failed: " + e.getMessage(), e);
    }
  }

  /** TLS over {@code plain}, the host name checked against the server's certificate. */
  private SSLSocket handshake(Socket plain, String host, int port)
      throws IOException, GeneralSecurityException {
    SSLContext context = tls != null ? tls : SSLContext.getDefault();
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
    SSLParameters parameters = socket.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    socket.setSSLParameters(parameters);
    socket.setSoTimeout(TIMEOUT_MS);
    socket.startHandshake();
    return socket;
  }

  private KeyturnClientException timeout(Exception cause) {
    return new KeyturnConnectionException(
        "Keyturn at " + address + " did not answer within " + TIMEOUT_MS / 1000 + " s", cause);
  }

  private Response read(InputStream socketIn, long deadline, int maxBody) throws IOException {
    Reader in = new Reader(socketIn, deadline, maxBody);
    String status = in.line();
    if (!status.startsWith("HTTP/1.") || status.length() < 12 || status.charAt(8) != ' ') {
      throw new IOException("not an HTTP/1.1 answer");
    }
    int code = parseInt(status.substring(9, 12), 999);
    long length = -1;
    boolean chunked = false;
    for (String line = in.line(); !line.isEmpty(); line = in.line()) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("malformed header in the answer");
      }
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        length = parseInt(value, -2);
        if (length < 0) {
          throw new IOException("malformed Content-Length in the answer");
        }
      } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
        chunked = value.equalsIgnoreCase("chunked");
        if (!chunked) {
          throw new IOException("unsupported Transfer-Encoding " + value);
        }
      }
    }
    if (code < 100 || code > 599) {
      throw new IOException("malformed status line in the answer");
    }
    if (length > maxBody) {
      throw in.tooLarge(); // before a buffer of the announced size is made
    }
    ByteArrayOutputStream body =
        new ByteArrayOutputStream(length > 0 ? (int) Math.min(length, MAX_BODY) : 512);
    if (chunked) {
      for (int size = chunkSize(in.line()); size > 0; size = chunkSize(in.line())) {
        in.copy(size, body);
        if (!in.line().isEmpty()) {
          throw new IOException("malformed chunk in the answer");
        }
      }
      while (!in.line().isEmpty()) {
        // trailer fields: ignored
      }
    } else if (length >= 0) {
      in.copy(length, body);
    } else {
      in.copyToEnd(body);
    }
    return new Response(code, body.toByteArray());
  }

  private static int chunkSize(String line) throws IOException {
    int semicolon = line.indexOf(';');
    String hex = (semicolon < 0 ? line : line.substring(0, semicolon)).trim();
    if (hex.isEmpty() || hex.length() > 7) {
      throw new IOException("malformed chunk size in the answer");
    }
    try {
      return Integer.parseInt(hex, 16);
    } catch (NumberFormatException e) {
      throw new IOException("malformed chunk size in the answer");
    }
  }

  private static int parseInt(String text, int otherwise) {
    if (text.isEmpty() || text.length() > 9) {
      return otherwise;
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return otherwise;
      }
    }
    return Integer.parseInt(text);
  }

  /** Buffered reads with the size limits and the overall deadline. */
  private final class Reader {
    private final InputStream in;
    private final long deadline;
    private final int maxBody;
    private final byte[] buffer = new byte[8192];
    private int at;
    private int end;
    private long total;

    Reader(InputStream in, long deadline, int maxBody) {
      this.in = in;
      this.deadline = deadline;
      this.maxBody = maxBody;
    }

    private boolean fill() throws IOException {
      if (System.nanoTime() - deadline > 0) {
        throw new SocketTimeoutException();
      }
      int n = in.read(buffer);
      if (n < 0) {
        return false;
      }
      at = 0;
      end = n;
      total += n;
      if (total > MAX_HEAD + (long) maxBody + 64L * 1024) {
        throw tooLarge();
      }
      return true;
    }

    private IOException tooLarge() {
      return new IOException("the answer is larger than " + (maxBody >> 20) + " MiB");
    }

    /** A line without its CRLF (or LF), at most {@link #MAX_HEAD} bytes. */
    String line() throws IOException {
      StringBuilder line = new StringBuilder();
      while (true) {
        if (at == end && !fill()) {
          throw new IOException("the server closed the connection mid-answer");
        }
        byte b = buffer[at++];
        if (b == '\n') {
          int n = line.length();
          return n > 0 && line.charAt(n - 1) == '\r' ? line.substring(0, n - 1) : line.toString();
        }
        if (line.length() >= MAX_HEAD) {
          throw new IOException("a line of the answer is longer than " + MAX_HEAD + " bytes");
        }
        line.append((char) (b & 0xff));
      }
    }

    void copy(long count, ByteArrayOutputStream out) throws IOException {
      if (out.size() + count > maxBody) {
        throw tooLarge();
      }
      long left = count;
      while (left > 0) {
        if (at == end && !fill()) {
          throw new IOException("the server closed the connection mid-answer");
        }
        int n = (int) Math.min(left, end - at);
        out.write(buffer, at, n);
        at += n;
        left -= n;
      }
    }

    void copyToEnd(ByteArrayOutputStream out) throws IOException {
      while (at < end || fill()) {
        if (out.size() + (end - at) > maxBody) {
          throw tooLarge();
        }
        out.write(buffer, at, end - at);
        at = end;
      }
    }
  }
}
