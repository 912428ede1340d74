package dev.keyturn.targets;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.crypto.Signatures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The one outbound HTTP call of Keyturn (webhook target, http hook, the server's notifications): a
 * single HTTP/1.1 request, optionally signed ({@link Signatures}), whose answer's status is all
 * that is read. It connects only where an {@link Outbound} policy allows, to the very address that
 * was checked (the JDK's HTTP client resolves names itself, so a name could resolve to one address
 * when checked and another when connected: DNS rebinding). HTTPS verifies the certificate against
 * the URL's host name, with SNI. Redirects are not followed; the answer's body is never read.
 *
 * <p>Failures say {@code failed} with the HTTP status when one came, and otherwise only {@code no
 * answer}, {@code host not found} or {@code TLS handshake failed} ({@link NetworkFailure}): no
 * exception names, no "refused" versus "timed out", so that a rule cannot map a network through
 * checklists. Thread-safe (stateless).
 */
public final class HttpCall {
  private static final int MAX_STATUS_LINE = 8192;

  private HttpCall() {}

  /**
   * A URL a rule or the operator gives: http or https, a host, no user information.
   *
   * @throws KeyturnException.InvalidInput naming {@code what}
   */
  public static URI url(String url, String what) {
    URI uri;
    try {
      uri = new URI(url == null ? "" : url);
    } catch (URISyntaxException e) {
      throw new KeyturnException.InvalidInput(what + " is not a URL");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new KeyturnException.InvalidInput(what + " must be an http or https URL");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      throw new KeyturnException.InvalidInput(
          what + " must name a host, without user information or fragment");
    }
    return uri;
  }

  /**
   * Sends one request and returns the answer's status.
   *
   * @param method {@code GET} or {@code POST}
   * @param body sent as {@code application/json} when not empty
   * @param signingKey when present, the request carries {@code X-Keyturn-Timestamp} and {@code
   *     X-Keyturn-Signature} over {@code timestamp + "." + body}
   * @throws KeyturnException.Forbidden if {@code outbound} allows no address of the host
   * @throws KeyturnException.TargetFailure {@code "failed (no answer)"} for a connection refused,
   *     timed out or dropped, {@code "failed (host not found)"} or {@code "failed (TLS handshake
   *     failed)"}
   */
  public static int send(
      String method,
      URI uri,
      byte[] body,
      Optional<byte[]> signingKey,
      long timestamp,
      Duration timeout,
      Outbound outbound) {
    if (!List.of("GET", "POST", "PUT").contains(method)) {
      throw new KeyturnException.InvalidInput("method must be GET, POST or PUT");
    }
    boolean tls = "https".equals(uri.getScheme());
    String host = uri.getHost();
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    StringBuilder head = new StringBuilder();
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    head.append(method).append(' ').append(path);
    if (uri.getRawQuery() != null) {
      head.append('?').append(uri.getRawQuery());
    }
    head.append(" HTTP/1.1\r\n");
    head.append("Host: ").append(host).append(uri.getPort() > 0 ? ":" + port : "").append("\r\n");
    head.append("User-Agent: keyturn\r\nConnection: close\r\n");
    if (body.length > 0 || !method.equals("GET")) {
      head.append("Content-Type: application/json\r\n");
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append(Signatures.TIMESTAMP_HEADER).append(": ").append(timestamp).append("\r\n");
    if (signingKey.isPresent()) {
      head.append(Signatures.SIGNATURE_HEADER)
          .append(": ")
          .append(Signatures.sign(signingKey.get(), timestamp, body))
          .append("\r\n");
    }
    head.append("\r\n");
    try (Socket socket = connect(host, port, tls, timeout, outbound)) {
      socket.setSoTimeout((int) timeout.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      return status(socket.getInputStream());
    } catch (IOException e) {
      String why = NetworkFailure.of(e).orElse(NetworkFailure.UNREACHABLE);
      throw new KeyturnException.TargetFailure(
          why.equals(NetworkFailure.UNREACHABLE) ? "failed (no answer)" : "failed (" + why + ")");
    }
  }

  private static Socket connect(
      String host, int port, boolean tls, Duration timeout, Outbound outbound) throws IOException {
    Socket plain = outbound.connect(host, port, timeout);
    plain.setSoTimeout((int) timeout.toMillis());
    if (!tls) {
      return plain;
    }
    try {
      SSLSocket ssl =
          (SSLSocket)
              SSLContext.getDefault().getSocketFactory().createSocket(plain, host, port, true);
      SSLParameters params = ssl.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      String name = host.startsWith("[") ? "" : host;
      if (!name.isEmpty() && !name.matches("[0-9.]+")) {
        params.setServerNames(List.of(new SNIHostName(name)));
      }
      ssl.setSSLParameters(params);
      ssl.startHandshake();
      return ssl;
    } catch (NoSuchAlgorithmException | IllegalArgumentException e) {
      plain.close();
      throw new IOException("TLS is not available", e);
    } catch (IOException e) {
      plain.close();
      throw e;
    }
  }

  /** Reads the status line ({@code HTTP/1.x NNN ...}); interim 1xx answers are skipped. */
  private static int status(InputStream in) throws IOException {
    while (true) {
      String line = line(in);
      if (!line.matches("HTTP/1\\.[01] [1-5][0-9][0-9]( .*)?")) {
        throw new IOException("not an HTTP answer");
      }
      int status = Integer.parseInt(line.substring(9, 12));
      if (status >= 200) {
        return status;
      }
      while (!line(in).isEmpty()) {
        // the interim answer's headers
      }
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (buf.size() >= MAX_STATUS_LINE) {
        throw new IOException("answer line too long");
      }
      buf.write(b);
    }
    if (b == -1 && buf.size() == 0) {
      throw new IOException("no answer");
    }
    String line = buf.toString(StandardCharsets.ISO_8859_1);
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }
}
