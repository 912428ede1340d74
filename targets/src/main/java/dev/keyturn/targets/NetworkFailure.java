package dev.keyturn.targets;

import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * What a checklist line says of a failed connection, in plain words and never an exception's name.
 * A refused connection, a timeout, an unreachable network and a connection reset all read {@code
 * cannot reach}: telling a closed port from a filtered one would make a port scanner of the
 * destinations a rule may name. Only a name that does not resolve ({@code host not found}) and a
 * TLS handshake that failed (a certificate or name the rule's CA does not vouch for) say more,
 * because an operator needs them to fix a rule. Thread-safe (stateless).
 */
final class NetworkFailure {
  static final String UNREACHABLE = "cannot reach";
  static final String HOST_NOT_FOUND = "host not found";
  static final String TLS_FAILED = "TLS handshake failed";

  private NetworkFailure() {}

  /**
   * The plain words for {@code e} when it (or one of its causes) is a network failure: {@link
   * #HOST_NOT_FOUND}, {@link #TLS_FAILED} or {@link #UNREACHABLE}; empty when it is not one.
   */
  static Optional<String> of(Throwable e) {
    boolean network = false;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof UnknownHostException) {
        return Optional.of(HOST_NOT_FOUND);
      }
      if (t instanceof SSLException) {
        return Optional.of(TLS_FAILED);
      }
      network |=
          t instanceof SocketException
              || t instanceof SocketTimeoutException
              || (t instanceof SQLException sql && connectionState(sql.getSQLState()));
    }
    return network ? Optional.of(UNREACHABLE) : Optional.empty();
  }

  /**
   * SQLSTATE class 08, a connection exception (the drivers' "cannot connect", "timed out"), except
   * 08004, the server's refusal of the connection, which the targets report as such.
   */
  private static boolean connectionState(String state) {
    return state != null && state.startsWith("08") && !state.equals("08004");
  }

  /**
   * The checklist's words for a connection to {@code where} that failed with {@code e}: {@code
   * cannot reach WHERE}, with {@code (host not found)} or {@code (TLS handshake failed)} when that
   * is what happened.
   */
  static String describe(String where, Throwable e) {
    String why = of(e).orElse(UNREACHABLE);
    return UNREACHABLE + " " + where + (why.equals(UNREACHABLE) ? "" : " (" + why + ")");
  }
}
