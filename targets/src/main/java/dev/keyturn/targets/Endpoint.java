package dev.keyturn.targets;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.RotationRule;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a database target connects: the identity an admin pins in the rule's target settings when
 * setting the rule ({@code host}, {@code port}, {@code dbname}, {@code tls}, {@code tls-ca}), never
 * the fields of the secret's stored value, which a {@code write} token can change. Values are
 * checked when pinned: a host or database name that could smuggle driver options, paths or
 * parameters ({@code ? & / ; = # %}, a backslash, control characters) is refused.
 *
 * @param host a host name or an IP address
 * @param port 1 to 65535
 * @param dbname the database ({@code ""} for Redis without a database number)
 * @param tls whether connections use TLS with the server's certificate and name verified
 * @param tlsCa a PEM file of the CAs to trust instead of the JVM's, when {@code tls}: one the
 *     operator declares in the server's configuration file ({@code tls-ca-files}), never a path an
 *     API caller or a stored value chooses (checked before any file is opened: {@link #pin}, and
 *     {@link #of(RotationRule, Outbound, HostPolicy)} again at each connection)
 * @param outbound where connections to this endpoint may go: every connection is checked against it
 *     on the address the driver resolved, at connect time ({@code TargetContext#outbound}; not part
 *     of what the rule pins)
 */
record Endpoint(
    String host, int port, String dbname, boolean tls, Optional<String> tlsCa, Outbound outbound) {
  static final String HOST = "host";
  static final String PORT = "port";
  static final String DBNAME = "dbname";
  static final String TLS = "tls";
  static final String TLS_CA = "tls-ca";

  /** The settings a rule pins; setting a rule again keeps them unless the admin names them. */
  static final java.util.List<String> PINNED = java.util.List.of(HOST, PORT, DBNAME, TLS, TLS_CA);

  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9._:\\[\\]-]{1,253}");
  private static final Pattern UNSAFE_DBNAME = Pattern.compile("[?&/;=#%\\\\\\p{Cntrl}]");

  Endpoint {
    if (!HOST_NAME.matcher(host).matches()) {
      throw new KeyturnException.InvalidInput(
          "host must be a host name or an IP address (letters, digits, '.', '-', ':')");
    }
    if (port < 1 || port > 65535) {
      throw new KeyturnException.InvalidInput("port must be a number from 1 to 65535");
    }
    if (UNSAFE_DBNAME.matcher(dbname).find() || dbname.length() > 64) {
      throw new KeyturnException.InvalidInput(
          "dbname must not hold ? & / ; = # % \\ or control characters (at most 64 characters)");
    }
    if (!tls && tlsCa.isPresent()) {
      throw new KeyturnException.InvalidInput("tls-ca goes with tls=verify-full");
    }
    java.util.Objects.requireNonNull(outbound, "outbound");
  }

  /**
   * The rule's pinned identity, for checks that connect nowhere (connections under it reach public
   * addresses only and trust the JVM's CAs; steps use {@link #of(RotationRule, Outbound,
   * HostPolicy)}).
   *
   * @throws KeyturnException.InvalidInput when the rule pins none (set before pinning existed)
   */
  static Endpoint of(RotationRule rule) {
    return of(rule, Outbound.publicOnly(), HostPolicy.none(), false);
  }

  /**
   * The rule's pinned identity, connected to under {@code outbound} (the step's {@code
   * TargetContext#outbound}: the operator's list, or unrestricted for a rule an {@code admin:*}
   * token set), trusting the CA file of {@code tls-ca} only if {@code host} declares it (the rule
   * is read from storage, which is not trusted).
   *
   * @throws KeyturnException.InvalidInput when the rule pins none (set before pinning existed), or
   *     names a CA file the server's configuration file does not declare
   */
  static Endpoint of(RotationRule rule, Outbound outbound, HostPolicy host) {
    return of(rule, outbound, host, true);
  }

  private static Endpoint of(
      RotationRule rule, Outbound outbound, HostPolicy host, boolean checkCa) {
    Map<String, String> s = rule.target();
    if (!s.containsKey(HOST) || !s.containsKey(PORT) || !s.containsKey(TLS)) {
      throw new KeyturnException.InvalidInput(
          "the rule of "
              + rule.secret()
              + " does not pin the database it rotates (set before Keyturn pinned host, port and"
              + " TLS in the rule); set it again with keyturn rotation set and check the host it"
              + " shows");
    }
    return new Endpoint(
        s.get(HOST),
        port(s.get(PORT)),
        s.getOrDefault(DBNAME, ""),
        tls(s.get(TLS)),
        Optional.ofNullable(s.get(TLS_CA))
            .filter(ca -> checkCa)
            .map(ca -> requireDeclared(ca, host)),
        outbound);
  }

  /**
   * Fills the pinned settings an admin did not give from the secret's current value, checks them,
   * and returns them. A TLS mode the value asks for ({@code sslmode}, {@code sslMode}: {@code
   * verify-full}, {@code verify-ca} or {@code disable}) is kept; otherwise TLS is on, except for a
   * loopback host. The CA is the JVM's, or {@code tls-ca}: a file {@code host} declares (the
   * value's {@code sslrootcert} or {@code serverSslCert} is never taken for one: a {@code write}
   * token sets the value).
   *
   * @throws KeyturnException.InvalidInput when {@code tls-ca} is not a declared, readable PEM file
   *     of CA certificates (an undeclared one is never opened)
   */
  static Map<String, String> pin(
      Map<String, String> settings, DatabaseSecret value, HostPolicy host) {
    settings.computeIfAbsent(HOST, k -> value.host());
    settings.computeIfAbsent(PORT, k -> Integer.toString(value.port()));
    settings.computeIfAbsent(DBNAME, k -> value.dbname());
    settings.computeIfAbsent(
        TLS,
        k -> {
          Optional<String> asked = value.extra("sslmode").or(() -> value.extra("sslMode"));
          if (asked.isPresent() && asked.get().startsWith("verify-")) {
            return "verify-full";
          }
          if (asked.isPresent() && asked.get().equals("disable")) {
            return "disable";
          }
          return loopback(settings.get(HOST)) ? "disable" : "verify-full";
        });
    if (settings.getOrDefault(TLS_CA, "").isBlank() || settings.get(TLS).equals("disable")) {
      settings.remove(TLS_CA);
    }
    if (settings.containsKey(TLS_CA) && settings.get(TLS).equals("verify-full")) {
      requireCaFile(requireDeclared(settings.get(TLS_CA), host));
    }
    Endpoint checked =
        new Endpoint(
            settings.get(HOST),
            port(settings.get(PORT)),
            settings.get(DBNAME),
            tls(settings.get(TLS)),
            Optional.ofNullable(settings.get(TLS_CA)),
            Outbound.publicOnly());
    settings.put(HOST, checked.host());
    return settings;
  }

  /** {@code secret} with this endpoint's host, port and database (its user and password kept). */
  DatabaseSecret apply(DatabaseSecret secret) {
    return secret.at(host, port, dbname);
  }

  /**
   * The TLS socket factory for this endpoint: trusting the CAs of {@code tls-ca}, or the JVM's when
   * none is given. Host names are verified by the caller (an endpoint identification algorithm).
   */
  javax.net.ssl.SSLSocketFactory sslSocketFactory() {
    try {
      if (tlsCa.isEmpty()) {
        return javax.net.ssl.SSLContext.getDefault().getSocketFactory();
      }
      java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(Path.of(tlsCa.get()))) {
        int i = 0;
        for (java.security.cert.Certificate c :
            CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          trust.setCertificateEntry("ca" + i++, c);
        }
      }
      javax.net.ssl.TrustManagerFactory tmf =
          javax.net.ssl.TrustManagerFactory.getInstance(
              javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (IOException | GeneralSecurityException e) {
      throw new KeyturnException.TargetFailure(
          "cannot read the CA certificates of tls-ca (not a readable PEM file of certificates)");
    }
  }

  /** The fields of {@code value} that differ from this endpoint; empty when none. */
  java.util.List<String> differences(DatabaseSecret value) {
    java.util.List<String> out = new java.util.ArrayList<>();
    if (!value.host().equals(host)) {
      out.add(HOST);
    }
    if (value.port() != port) {
      out.add(PORT);
    }
    if (!value.dbname().equals(dbname)) {
      out.add(DBNAME);
    }
    return out;
  }

  private static int port(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new KeyturnException.InvalidInput("port must be a number from 1 to 65535");
    }
  }

  private static boolean tls(String mode) {
    return switch (mode) {
      case "verify-full" -> true;
      case "disable" -> false;
      default ->
          throw new KeyturnException.InvalidInput(
              "tls is verify-full (the server's certificate and name are checked) or disable");
    };
  }

  /** Whether {@code host} is a loopback address or {@code localhost}, without a DNS lookup. */
  private static boolean loopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (!bare.matches("[0-9.]+") && !bare.contains(":")) {
      return false; // a name: deciding would need DNS, which may answer otherwise later
    }
    try {
      return InetAddress.getByName(bare).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** {@code path}, if {@code host} declares it; checked without opening it. */
  private static String requireDeclared(String path, HostPolicy host) {
    boolean declared;
    try {
      declared = host.caFileDeclared(Path.of(path));
    } catch (java.nio.file.InvalidPathException e) {
      declared = false;
    }
    if (!declared) {
      throw new KeyturnException.InvalidInput(
          "tls-ca must name a CA file the server's configuration file declares (tls-ca-files:);"
              + " ask the operator to declare it, or leave tls-ca out to trust the JVM's CAs");
    }
    return path;
  }

  private static void requireCaFile(String path) {
    String problem = "tls-ca must be a readable PEM file of CA certificates";
    Path file = Path.of(path);
    try (InputStream in = Files.newInputStream(file)) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
        throw new KeyturnException.InvalidInput(problem);
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      if (e instanceof KeyturnException k) {
        throw k;
      }
      throw new KeyturnException.InvalidInput(problem);
    }
  }
}
