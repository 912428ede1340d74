package dev.keyturn.client;

import java.time.Duration;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * What {@link RotatingDataSource} needs from Keyturn, for one database secret: its current value, a
 * signal when that may have changed, and a consumer registration. The seam between the DataSource
 * and the client ({@link KeyturnCredentials} is the one real implementation). Implementations are
 * thread-safe.
 */
interface CredentialSource extends AutoCloseable {

  /** The current version of the secret: its number and its JSON value (never logged). */
  final class Current {
    private final int version;
    private final JsonNode value;

    Current(int version, JsonNode value) {
      this.version = version;
      this.value = value;
    }

    int version() {
      return version;
    }

    JsonNode value() {
      return value;
    }

    @Override
    public String toString() {
      return "Current[version " + version + ", value [redacted]]";
    }
  }

  /** The secret's name. */
  String secret();

  /** Reads the current version now; throws the client's exception when it cannot. */
  Current current();

  /**
   * Starts calling {@code changed} (on a thread of the source's, never throwing back into it) when
   * the secret's current version may have changed; runs until {@link #close}.
   */
  void follow(Runnable changed);

  /**
   * Registers the consumer {@code id} or sends its heartbeat: it connects with {@code using}, still
   * holds connections of every version in {@code accepting}, and could not switch to {@code failed}
   * (0: none); live for {@code ttl}.
   */
  void heartbeat(
      String id, String name, int using, List<Integer> accepting, int failed, Duration ttl);

  /** The consumer {@code id} departs. */
  void depart(String id);

  /** Stops following; does not close the client it was given. */
  @Override
  void close();
}
