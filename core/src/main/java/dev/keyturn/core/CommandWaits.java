package dev.keyturn.core;

import dev.keyturn.core.spi.RotationStore;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Tells when a rotation waits for a node that no live node is: its steps run only on nodes whose
 * declarations of its rule's commands have the digest the rotation recorded ({@link
 * Rotation#commands}), and if no live node publishes such declarations ({@link NodeRecord}) it
 * would wait silently. The rotation's reason then says so, naming the digest (never the commands'
 * text), with one audit record ({@code rotation.waiting}) however many nodes notice at once (a
 * conditional update of the reason, {@link RotationStore#noteReason}, in the audit record's unit of
 * work); a node that runs it clears the reason. Thread-safe.
 */
final class CommandWaits {
  /** How the reason of such a rotation starts. */
  static final String PREFIX = "waits for a node whose commands match: ";

  private final EngineWiring wiring;
  private final RotationStore store;
  private final RotationMoves moves;

  CommandWaits(EngineWiring wiring, RotationMoves moves) {
    this.wiring = wiring;
    this.store = wiring.store;
    this.moves = moves;
  }

  /**
   * {@code rotation}, which this node leaves alone, with its reason saying so once when no live
   * node declares its commands as it needs.
   */
  Rotation noted(Rotation rotation, RotationRule rule) {
    List<NodeRecord> live = store.nodes(wiring.clock.instant().minus(NodeRecord.LIVE));
    Optional<String> why = why(rotation, HostPolicy.commandsOf(rule), live);
    if (why.isEmpty() || rotation.reason().equals(why)) {
      return rotation;
    }
    Rotation noted = rotation.withReason(why.get());
    // Nodes that notice at the same moment: only the one whose update changed the row audits.
    wiring.secrets.inTransaction(work -> {
      if (work.rotations().noteReason(rotation.id(), why.get())) {
        moves.audited(
            work, noted, "rotation.waiting", rotation.pendingVersion(), "waiting", why.get());
      }
      return null;
    });
    return noted;
  }

  /** {@code rotation} without a waiting reason, saved so, once a node runs it. */
  Rotation resumed(Rotation rotation) {
    if (rotation.reason().isEmpty() || !rotation.reason().get().startsWith(PREFIX)) {
      return rotation;
    }
    Rotation resumed = rotation.toBuilder().reason(Optional.empty()).build();
    store.save(resumed);
    return resumed;
  }

  /** Why {@code rotation} waits for nobody among {@code live}; empty when one of them runs it. */
  static Optional<String> why(Rotation rotation, Set<String> names, List<NodeRecord> live) {
    for (NodeRecord node : live) {
      if (node.declares(names, rotation.commands())) {
        return Optional.empty();
      }
    }
    return Optional.of(
        PREFIX
            + "no live node declares its rule's commands with the digest "
            + rotation.commands()
            + " (that of the node that started it); give every node the same commands in its"
            + " configuration file, or cancel the rotation");
  }
}
