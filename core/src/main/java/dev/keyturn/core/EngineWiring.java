package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.Hook;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What every part of the {@link RotationEngine} uses: the secrets, the rotation store, the targets
 * and hooks by type, the clock, the random source and the operator's {@link HostPolicy}; and what
 * targets and hooks are handed from them. Immutable; thread-safe.
 */
final class EngineWiring {
  final SecretService secrets;
  final RotationStore store;
  final Map<String, Target> targets;
  final Map<String, Hook> hooks;
  final Clock clock;
  final SecureRandom random;
  final HostPolicy host;

  EngineWiring(
      SecretService secrets,
      RotationStore store,
      Map<String, Target> targets,
      Map<String, Hook> hooks,
      Clock clock,
      SecureRandom random,
      HostPolicy host) {
    this.host = requireNonNull(host, "host");
    this.secrets = requireNonNull(secrets, "secrets");
    this.store = requireNonNull(store, "store");
    this.targets = Map.copyOf(targets);
    this.hooks = Map.copyOf(hooks);
    this.clock = requireNonNull(clock, "clock");
    this.random = requireNonNull(random, "random");
  }

  /**
   * The rule's target.
   *
   * @throws KeyturnException.InvalidInput if this engine does not know the rule's target type
   */
  Target target(RotationRule rule) {
    Target target = targets.get(rule.targetType());
    if (target == null) {
      throw new KeyturnException.InvalidInput("unknown target type '" + rule.targetType() + "'");
    }
    return target;
  }

  /** Reads a secret's current value for a target or hook (the reads are not audited). */
  Function<SecretName, SecretValue> currentValues() {
    return name -> secrets.read(name, Selector.current(), false);
  }

  /** Where the rule may connect: the operator's allowance narrowed by the rule. */
  Outbound outbound(RotationRule rule) {
    return rule.outbound(host.outbound());
  }

  /** What the target sees of the rotation's pending version (and the current one). */
  TargetContext context(Rotation rotation, RotationRule rule) {
    return context(rotation, rule, rotation.pendingVersion().orElseThrow());
  }

  /**
   * As {@link #context(Rotation, RotationRule)} for a step that hands the pending value to the
   * target ({@code set}, {@code test}): the version the rotation row names must still be pending
   * and made by this rotation. Rotation rows are not MAC-protected, version rows are; a row edited
   * to name an older version would otherwise push a previous (possibly leaked) value to the target
   * while Keyturn's current value stays the new one.
   *
   * @throws KeyturnException.IntegrityFailure when it is not
   */
  TargetContext pendingContext(Rotation rotation, RotationRule rule) {
    TargetContext context = context(rotation, rule);
    Version named = context.pending().version();
    if (named.stage() != Stage.PENDING || !named.createdBy().equals(rotation.creatorTag())) {
      context.pending().plaintext().destroy();
      context.current().ifPresent(v -> v.plaintext().destroy());
      throw new KeyturnException.IntegrityFailure(
          "rotation " + rotation.id(),
          "it names version "
              + named.number()
              + " of "
              + rotation.secret()
              + ", which is "
              + named.stage().wireName()
              + (named.stage() == Stage.PENDING ? " but was made by someone else" : "")
              + ", not this rotation's pending version; the rotation row does not match the"
              + " versions, so nothing is sent to the target");
    }
    return context;
  }

  TargetContext context(Rotation rotation, RotationRule rule, int pendingVersion) {
    SecretValue pending = secrets.read(rotation.secret(), Selector.version(pendingVersion), true);
    Optional<SecretValue> current;
    try {
      current = Optional.of(secrets.read(rotation.secret(), Selector.current(), true));
    } catch (KeyturnException.NotFound e) {
      current = Optional.empty();
    }
    return new TargetContext(
        rule,
        rotation,
        pending,
        current,
        currentValues(),
        pid -> store.save(rotation.withProcess(Optional.of(pid), clock.instant())),
        outbound(rule),
        progress -> store.saveProgress(rotation.id(), progress));
  }
}
