package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A {@link DataSource} that follows the rotations of one Keyturn database secret ({@code {engine,
 * host, port, dbname, username, password}}, engine {@code postgresql} or {@code mariadb}), username
 * included, without a restart and without failing a query.
 *
 * <p>For each new current version it builds a HikariCP pool, checks it with {@code SELECT 1}, then
 * sends new connections to it; the old pool closes once its borrowed connections come back, or
 * after {@link Builder#drainTimeout} (default 30 s), when what is still borrowed is closed anyway.
 * A version whose pool fails that check leaves the old pool serving. When the database refuses a
 * login (SQLSTATE {@code 28P01}, {@code 28000}, MariaDB error 1045), {@link #getConnection} reads
 * the secret at once and tries once more. It learns of new versions from the server's change
 * events, and also reads the secret at each heartbeat.
 *
 * <p>It registers as a Keyturn consumer (kind {@code sdk}) and sends a heartbeat every {@link
 * Builder#heartbeat} interval: it reports the version it still connects with as {@code using} (the
 * oldest whose pool has not drained) and every version with an open pool as {@code accepting}, so
 * an alternating-users rotation does not change the password of a user whose pool still drains, and
 * the version it uses is not retired under it. {@link #close} departs.
 *
 * <p>Needs HikariCP and the database's JDBC driver on the class path (both optional dependencies of
 * the client) and a token with {@code read} on the secret. Thread-safe. No password appears in
 * {@code toString}, logs or exception messages. Logs through {@link System.Logger} under this
 * class's name.
 */
public final class RotatingDataSource implements DataSource, AutoCloseable {
  private final RotatingPools pools;
  private final String secret;

  private RotatingDataSource(RotatingPools pools, String secret) {
    this.pools = pools;
    this.secret = secret;
  }

  /** A builder; {@link Builder#client} and {@link Builder#secret} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A connection from the pool of the current version. On an authentication failure, reads the
   * secret now and tries once more (with the new version's pool, if there is one).
   *
   * @throws SQLException what the database or the pool reported (never naming a password)
   */
  @Override
  public Connection getConnection() throws SQLException {
    return pools.connection();
  }

  /**
   * Not supported: the credentials come from the secret.
   *
   * @throws SQLFeatureNotSupportedException always
   */
  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException(
        "RotatingDataSource takes its credentials from " + secret + "; use getConnection()");
  }

  /** The version of the secret that new connections use. */
  public int currentVersion() {
    return pools.activeVersion();
  }

  /** The versions with an open pool: the current one first, then those still draining. */
  public List<Integer> openVersions() {
    return List.copyOf(pools.openVersions());
  }

  /**
   * Stops following the secret, departs as a consumer (best effort) and closes every pool, aborting
   * connections still borrowed. Does not close the {@link KeyturnClient}.
   */
  @Override
  public void close() {
    pools.close();
  }

  /** Always null: this DataSource does not write to a log writer. */
  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  /** Ignored: this DataSource logs through {@link System.Logger}. */
  @Override
  public void setLogWriter(PrintWriter out) {}

  /** Ignored: set {@code connectionTimeout} through {@link Builder#configure}. */
  @Override
  public void setLoginTimeout(int seconds) {}

  /** Always 0: see {@link Builder#configure} for the pool's timeouts. */
  @Override
  public int getLoginTimeout() {
    return 0;
  }

  /**
   * Not supported: logs go through {@link System.Logger}.
   *
   * @throws SQLFeatureNotSupportedException always
   */
  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("RotatingDataSource logs through System.Logger");
  }

  /**
   * This object, when {@code type} is a type it has.
   *
   * @throws SQLException for any other type
   */
  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    if (type.isInstance(this)) {
      return type.cast(this);
    }
    throw new SQLException("RotatingDataSource is not a " + type.getName());
  }

  /** Whether {@code type} is a type of this object. */
  @Override
  public boolean isWrapperFor(Class<?> type) {
    return type.isInstance(this);
  }

  /** Names the secret and the version in use; never a credential. */
  @Override
  public String toString() {
    return "RotatingDataSource[" + secret + "#" + pools.activeVersion() + "]";
  }

  /**
   * Configures a {@link RotatingDataSource}. Not thread-safe; {@link #build} checks everything and
   * freezes it.
   */
  public static final class Builder {
    private static final Pattern CONSUMER_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private KeyturnClient client;
    private String secret;
    private CredentialSource source;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration heartbeat = Duration.ofSeconds(30);
    private String consumerId;
    private String consumerName = "RotatingDataSource";
    private Consumer<HikariConfig> configure = config -> {};
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The client that reads the secret, follows its changes and registers the consumer. */
    public Builder client(KeyturnClient client) {
      this.client = requireNonNull(client, "client");
      return this;
    }

    /** The name of the database secret, e.g. {@code app/production/DATABASE}. */
    public Builder secret(String secret) {
      this.secret = requireNonNull(secret, "secret");
      return this;
    }

    /**
     * How long an old pool waits for its borrowed connections to come back before it closes them
     * anyway (default 30 s; at least 1 s).
     */
    public Builder drainTimeout(Duration drainTimeout) {
      this.drainTimeout = requireNonNull(drainTimeout, "drainTimeout");
      return this;
    }

    /**
     * How often to send the consumer heartbeat and re-read the secret (default 30 s, from 5 s to 20
     * min); the registration stays live for three intervals.
     */
    public Builder heartbeat(Duration heartbeat) {
      this.heartbeat = requireNonNull(heartbeat, "heartbeat");
      return this;
    }

    /**
     * The consumer id ({@code [A-Za-z0-9._-]{1,64}}); the default, {@code sdk.HOST.PID.RANDOM}, is
     * new for each DataSource. An id belongs to the first token that registers it.
     */
    public Builder consumerId(String consumerId) {
      this.consumerId = requireNonNull(consumerId, "consumerId");
      return this;
    }

    /** The consumer's name as {@code keyturn consumers} shows it (default RotatingDataSource). */
    public Builder consumerName(String consumerName) {
      this.consumerName = requireNonNull(consumerName, "consumerName");
      return this;
    }

    /**
     * Settings for every pool this DataSource builds ({@code maximumPoolSize}, {@code
     * connectionTimeout}, driver properties...). Applied first, so the JDBC URL, user, password and
     * pool name are always the secret's.
     */
    public Builder configure(Consumer<HikariConfig> configure) {
      this.configure = requireNonNull(configure, "configure");
      return this;
    }

    Builder source(CredentialSource source) {
      this.source = requireNonNull(source, "source");
      return this;
    }

    Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Reads the secret, opens and checks the first pool, registers the consumer and starts
     * following the secret.
     *
     * @throws IllegalStateException when client or secret is missing, or the first pool cannot
     *     connect or fails {@code SELECT 1} (the cause says why)
     * @throws IllegalArgumentException for a bad setting, or when the secret is not a database
     *     credential, naming the missing or malformed field (never its value)
     * @throws KeyturnClientException when the secret cannot be read or the consumer registered
     */
    public RotatingDataSource build() {
      if (source == null) {
        if (client == null) {
          throw new IllegalStateException("RotatingDataSource needs client(...)");
        }
        if (secret == null) {
          throw new IllegalStateException("RotatingDataSource needs secret(...)");
        }
        source = new KeyturnCredentials(client, secret);
      }
      if (drainTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("drainTimeout must be at least 1 s");
      }
      if (heartbeat.compareTo(Duration.ofSeconds(5)) < 0
          || heartbeat.compareTo(Duration.ofMinutes(20)) > 0) {
        throw new IllegalArgumentException("heartbeat must be from 5 s to 20 min");
      }
      String id = consumerId == null ? defaultConsumerId() : consumerId;
      if (!CONSUMER_ID.matcher(id).matches()) {
        throw new IllegalArgumentException("consumerId must be 1 to 64 of A-Z a-z 0-9 . _ -");
      }
      RotatingPools pools =
          new RotatingPools(source, configure, drainTimeout, heartbeat, id, consumerName, clock);
      try {
        pools.start();
      } catch (SQLException e) {
        pools.close();
        throw new IllegalStateException(
            source.secret() + ": the first pool failed its check: " + AuthFailures.describe(e), e);
      } catch (RuntimeException e) {
        pools.close();
        throw e;
      }
      return new RotatingDataSource(pools, source.secret());
    }

    private static String defaultConsumerId() {
      String host;
      try {
        host = InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9.-]", "-");
      } catch (UnknownHostException e) {
        host = "host";
      }
      byte[] random = new byte[6];
      new SecureRandom().nextBytes(random);
      String tail = "." + ProcessHandle.current().pid() + "." + HexFormat.of().formatHex(random);
      String head = "sdk." + host;
      return head.substring(0, Math.min(head.length(), 64 - tail.length())) + tail;
    }
  }
}
