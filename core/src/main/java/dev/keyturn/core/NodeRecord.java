package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * A server sharing the store, as it publishes itself: who it is, and the digests of the commands
 * its configuration file declares (never their text). Nodes heartbeat; one not seen for {@link
 * #LIVE} is taken for gone.
 *
 * @param id the node's id (kept in its data folder)
 * @param host the machine's name
 * @param pid the server's process id
 * @param started when the server started
 * @param lastSeen its last heartbeat
 * @param digest {@link HostPolicy#declaredDigest}: of all its declared commands
 * @param commands {@link HostPolicy#commandDigests}: each declared command's digest, by name
 */
public record NodeRecord(
    String id,
    String host,
    long pid,
    Instant started,
    Instant lastSeen,
    String digest,
    Map<String, String> commands) {
  /** How long after its last heartbeat a node counts as live. */
  public static final Duration LIVE = Duration.ofSeconds(60);

  /** How often a node heartbeats at most. */
  public static final Duration HEARTBEAT = Duration.ofSeconds(10);

  public NodeRecord {
    requireNonNull(id, "id");
    requireNonNull(host, "host");
    requireNonNull(started, "started");
    requireNonNull(lastSeen, "lastSeen");
    requireNonNull(digest, "digest");
    commands = java.util.Collections.unmodifiableMap(new TreeMap<>(commands));
  }

  /** This node, as {@code host} declares it, seen {@code now}. */
  public static NodeRecord of(
      String id, String host, long pid, Instant started, Instant now, HostPolicy policy) {
    return new NodeRecord(
        id, host, pid, started, now, policy.declaredDigest(), policy.commandDigests());
  }

  /** Whether this node's declarations of {@code names} have the digest {@code digest}. */
  public boolean declares(Collection<String> names, String digest) {
    return HostPolicy.digest(names, commands).equals(digest);
  }

  /** The same node seen at {@code now}. */
  public NodeRecord seen(Instant now) {
    return new NodeRecord(id, host, pid, started, now, digest, commands);
  }
}
