package dev.keyturn.targets.internal;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Outbound;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.SocketFactory;
import org.mariadb.jdbc.Configuration;
import org.mariadb.jdbc.util.ConfigurableSocketFactory;

/**
 * Connects the JDBC drivers' sockets through an {@link Outbound} policy. The drivers take a socket
 * factory by class name and make it themselves, so the policy reaches it through a registry: a
 * connection {@link #lease}s a random key for its policy and host, passes the key as the factory's
 * argument (pgjdbc's {@code socketFactoryArg}; for MariaDB Connector/J an option of its {@code
 * Configuration}), and the factory looks the key up. The classes are always Keyturn's own, named by
 * Keyturn's code; an unknown or expired key gets a factory that refuses every address. Public only
 * because the drivers instantiate the factories by reflection. Thread-safe.
 */
public final class DriverSockets {
  /** The MariaDB {@code Configuration} option that carries the key. */
  public static final String MARIADB_OPTION = "keyturnOutbound";

  private static final Map<String, Policy> LEASED = new ConcurrentHashMap<>();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Policy REFUSE_ALL = new Policy(Outbound.of(java.util.List.of(), false), "");

  private DriverSockets() {}

  private record Policy(Outbound outbound, String host) {
    Socket socket() {
      return outbound.socket(host);
    }
  }

  /** A key the drivers' factories resolve to {@code outbound} for {@code host}, until closed. */
  public static Lease lease(Outbound outbound, String host) {
    requireNonNull(outbound, "outbound");
    requireNonNull(host, "host");
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    String key = HexFormat.of().formatHex(bytes);
    LEASED.put(key, new Policy(outbound, host));
    return new Lease(key);
  }

  /** A registered key; closing it forgets the key (connections already made keep working). */
  public static final class Lease implements AutoCloseable {
    private final String key;

    private Lease(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }

    @Override
    public void close() {
      LEASED.remove(key);
    }
  }

  private static Policy policy(String key) {
    return key == null ? REFUSE_ALL : LEASED.getOrDefault(key, REFUSE_ALL);
  }

  /**
   * pgjdbc's {@code socketFactory}: pgjdbc calls the String constructor with {@code
   * socketFactoryArg}, then connects the unconnected socket to the address it resolved.
   */
  public static final class Postgres extends SocketFactory {
    private final Policy policy;

    public Postgres(String key) {
      this.policy = policy(key);
    }

    @Override
    public Socket createSocket() {
      return policy.socket();
    }

    @Override
    public Socket createSocket(String host, int port) throws java.io.IOException {
      return connected(policy, new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort)
        throws java.io.IOException {
      return connected(policy, new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port) throws java.io.IOException {
      return connected(policy, new InetSocketAddress(address, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress local, int localPort)
        throws java.io.IOException {
      return connected(policy, new InetSocketAddress(address, port));
    }
  }

  /**
   * MariaDB Connector/J's {@code socketFactory}: made with the no-argument constructor, told the
   * connection's {@code Configuration} (whose {@link #MARIADB_OPTION} holds the key), then asked
   * for an unconnected socket that the driver connects to the address it resolved.
   */
  public static final class MariaDb extends ConfigurableSocketFactory {
    private volatile Policy policy = REFUSE_ALL;

    public MariaDb() {}

    @Override
    public void setConfiguration(Configuration conf, String host) {
      policy = policy(conf.nonMappedOptions().getProperty(MARIADB_OPTION));
    }

    @Override
    public Socket createSocket() {
      return policy.socket();
    }

    @Override
    public Socket createSocket(String host, int port) throws java.io.IOException {
      return connected(policy, new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort)
        throws java.io.IOException {
      return connected(policy, new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port) throws java.io.IOException {
      return connected(policy, new InetSocketAddress(address, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress local, int localPort)
        throws java.io.IOException {
      return connected(policy, new InetSocketAddress(address, port));
    }
  }

  private static Socket connected(Policy policy, InetSocketAddress address)
      throws java.io.IOException {
    Socket s = policy.socket();
    try {
      s.connect(address);
      return s;
    } catch (java.io.IOException e) {
      s.close();
      throw e;
    }
  }
}
