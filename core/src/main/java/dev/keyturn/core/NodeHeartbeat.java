package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.RotationStore;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Instant;

/**
 * Publishes this server as a {@link NodeRecord} in the store, at most every {@link
 * NodeRecord#HEARTBEAT}: its id, machine, process, start, and the digests of the commands its
 * configuration file declares. Thread-safe.
 */
public final class NodeHeartbeat {
  private final RotationStore store;
  private final Clock clock;
  private final NodeRecord self;
  private Instant last = Instant.MIN;

  public NodeHeartbeat(RotationStore store, String nodeId, HostPolicy policy, Clock clock) {
    this.store = requireNonNull(store, "store");
    this.clock = requireNonNull(clock, "clock");
    Instant now = clock.instant();
    this.self =
        NodeRecord.of(
            requireNonNull(nodeId, "nodeId"),
            hostName(),
            ProcessHandle.current().pid(),
            now,
            now,
            requireNonNull(policy, "policy"));
  }

  /** Publishes this node now if its last heartbeat is {@link NodeRecord#HEARTBEAT} old. */
  public synchronized void beat() {
    Instant now = clock.instant();
    if (last.plus(NodeRecord.HEARTBEAT).isAfter(now)) {
      return;
    }
    store.heartbeat(self.seen(now));
    last = now;
  }

  /**
   * Removes this node's row, on a clean shutdown, so that status does not show a stopped node as
   * live for {@link NodeRecord#LIVE}. A later {@link #beat} publishes it again.
   */
  public synchronized void leave() {
    store.leave(self.id());
    last = Instant.MIN;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
