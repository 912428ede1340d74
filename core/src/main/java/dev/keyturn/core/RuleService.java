package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.RotationStore.RuleEntry;
import dev.keyturn.core.spi.UnitOfWork;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The rule workflow shared by the API, the CLI and the dashboard: checks a rule against its target
 * and the secrets it names, fills in the target's defaults, works out when it is due, and stores
 * it. Callers authorize first; this class decides nothing about who may act. Thread-safe.
 *
 * <p>Setting a rule never rotates at once. The first rotation is due one period after the secret
 * was last rotated: when its current version was made, or the {@code lastRotated} time recorded for
 * a secret adopted from a runbook. A rule whose due date has already passed is overdue from the
 * start; it rotates in its window's next opening, at once with {@code catchUp}, or, with neither,
 * only when someone asks.
 */
public final class RuleService {
  private final RotationEngine engine;
  private final RotationStore rules;
  private final SecretService secrets;
  private final Clock clock;
  private final RandomGenerator random;

  public RuleService(
      RotationEngine engine,
      RotationStore rules,
      SecretService secrets,
      Clock clock,
      RandomGenerator random) {
    this.engine = requireNonNull(engine, "engine");
    this.rules = requireNonNull(rules, "rules");
    this.secrets = requireNonNull(secrets, "secrets");
    this.clock = requireNonNull(clock, "clock");
    this.random = requireNonNull(random, "random");
  }

  /**
   * Checks and stores {@code requested}. With {@code lastRotated}, records that the secret's
   * current version was really made then; without it, a time recorded earlier for the same version
   * stays.
   *
   * @throws KeyturnException.NotFound if the secret has no current version
   * @throws KeyturnException.InvalidInput naming the setting that is wrong
   */
  public RuleEntry set(RotationRule requested, Optional<Instant> lastRotated) {
    return set(requested, lastRotated, entry -> List.of());
  }

  /**
   * As {@link #set(RotationRule, Optional)}, storing the rule and the audit records {@code records}
   * makes for the stored entry in one unit of work, so both commit or neither does (DESIGN
   * invariant 9).
   */
  public RuleEntry set(
      RotationRule requested,
      Optional<Instant> lastRotated,
      Function<RuleEntry, List<AuditEvent>> records) {
    requireNonNull(requested, "requested");
    requireNonNull(lastRotated, "lastRotated");
    requireNonNull(records, "records");
    SecretName name = requested.secret();
    Version current =
        secrets
            .describe(name)
            .versions()
            .current()
            .orElseThrow(() ->
                new KeyturnException.NotFound(name + " has no current version; put one first"));
    Instant now = clock.instant();
    if (lastRotated.filter(t -> t.isAfter(now)).isPresent()) {
      throw new KeyturnException.InvalidInput("last-rotated is in the future");
    }
    Optional<RuleEntry> old = rules.rule(name);
    Optional<RotationRule.LastRotated> adopted =
        lastRotated
            .map(t -> new RotationRule.LastRotated(current.number(), t))
            .or(() ->
                old.flatMap(e -> e.rule().lastRotated())
                    .filter(l -> l.version() == current.number()));
    RotationRule rule =
        check(keepDerivedSettings(requested, old).toBuilder().lastRotated(adopted).build());
    RuleEntry entry = schedule(rule, rule.lastRotatedAt(current), now);
    secrets.inTransaction(work -> {
      work.rotations().putRule(entry);
      append(work, records.apply(entry));
      return null;
    });
    return entry;
  }

  /**
   * What {@link #set} checks of {@code rule} that does not need its secret stored yet, for a
   * restore that must judge a rule before it writes the secret it belongs to: the target and hook
   * types, the secrets the rule names ({@code willHaveCurrent} says whether each will have a
   * current version once the restore is written), and the target's and hooks' own checks of their
   * settings. What {@link #set} checks besides (the target's defaults, against the current value)
   * can only be checked once the secret is stored.
   *
   * @throws KeyturnException.InvalidInput naming the setting that is wrong
   */
  public void checkBeforeStoring(RotationRule rule, Predicate<SecretName> willHaveCurrent) {
    requireNonNull(rule, "rule");
    requireNonNull(willHaveCurrent, "willHaveCurrent");
    types(rule);
    for (String key : NAMED_BY_TARGET) {
      named("target setting '" + key + "'", rule.target().get(key), willHaveCurrent);
    }
    for (HookSpec hook : rule.hooks()) {
      for (String key : NAMED_BY_HOOK) {
        named(hook.label() + " setting '" + key + "'", hook.settings().get(key), willHaveCurrent);
      }
    }
    engine.validate(rule);
  }

  private void types(RotationRule rule) {
    if (!engine.targetTypes().contains(rule.targetType())) {
      throw new KeyturnException.InvalidInput(
          "unknown target type; this server knows "
              + String.join(", ", engine.targetTypes().stream().sorted().toList()));
    }
    for (HookSpec hook : rule.hooks()) {
      if (!engine.hookTypes().contains(hook.type())) {
        throw new KeyturnException.InvalidInput(
            "unknown hook type; this server knows "
                + String.join(", ", engine.hookTypes().stream().sorted().toList()));
      }
    }
  }

  /**
   * Everything that can be checked without touching the target: the target and hook types, the
   * secrets the rule names (each must have a current version), the target's and hooks' own checks
   * of their settings, then the target's defaults filled in against the current value.
   */
  private RotationRule check(RotationRule rule) {
    checkBeforeStoring(rule, this::hasCurrent);
    return engine.prepare(rule);
  }

  private boolean hasCurrent(SecretName name) {
    try {
      return secrets.describe(name).versions().current().isPresent();
    } catch (KeyturnException.NotFound e) {
      return false;
    }
  }

  /** Settings of targets and hooks whose value is the name of another secret. */
  private static final List<String> NAMED_BY_TARGET = List.of("admin", "signing-secret");

  private static final List<String> NAMED_BY_HOOK = List.of("signing-secret", "url-secret");

  private static void named(String setting, String value, Predicate<SecretName> hasCurrent) {
    if (value == null) {
      return;
    }
    SecretName name;
    try {
      name = SecretName.of(value);
    } catch (KeyturnException.InvalidInput e) {
      throw new KeyturnException.InvalidInput(setting + " is not a secret name");
    }
    if (!hasCurrent.test(name)) {
      throw new KeyturnException.InvalidInput(
          setting + " names " + name + ", which has no current version; store it first");
    }
  }

  /** When a rule last rotated at {@code last} is due, and when its rotation starts. */
  private RuleEntry schedule(RotationRule rule, Instant last, Instant now) {
    Optional<Instant> due = Schedule.nextDue(rule.schedule(), last, random);
    if (due.isEmpty() || due.get().isAfter(now)) {
      return new RuleEntry(rule, due);
    }
    Optional<Instant> start =
        rule.catchUp()
            ? Optional.of(now)
            : rule.schedule().flatMap(s -> s.nextOpening(now, random));
    return new RuleEntry(rule, due, start);
  }

  /**
   * Settings a target derived from the value when the rule was first set (the alternating users'
   * names, taken from the then-current user) stay when the rule is set again without them: after a
   * switch the current user is the second one, and deriving again would pair it with a third.
   */
  private static RotationRule keepDerivedSettings(RotationRule rule, Optional<RuleEntry> old) {
    if (old.isEmpty() || !old.get().rule().targetType().equals(rule.targetType())) {
      return rule;
    }
    Map<String, String> settings = new LinkedHashMap<>();
    // ...and so does the database identity a database target pinned (host, port, dbname, TLS).
    for (String key :
        List.of(
            "username", "alt-username", "owner-role", "host", "port", "dbname", "tls", "tls-ca")) {
      Optional.ofNullable(old.get().rule().target().get(key)).ifPresent(v -> settings.put(key, v));
    }
    settings.putAll(rule.target());
    return rule.withTarget(settings);
  }

  /**
   * @throws KeyturnException.NotFound if the secret has no rule
   */
  public RuleEntry get(SecretName name) {
    return rules
        .rule(name)
        .orElseThrow(() -> new KeyturnException.NotFound(name + " has no rotation rule"));
  }

  /**
   * Removes the secret's rule and returns it.
   *
   * @throws KeyturnException.NotFound if the secret has no rule
   */
  public RuleEntry delete(SecretName name) {
    return delete(name, List::of);
  }

  /**
   * As {@link #delete(SecretName)}, removing the rule and storing {@code records} in one unit of
   * work.
   */
  public RuleEntry delete(SecretName name, Supplier<List<AuditEvent>> records) {
    requireNonNull(records, "records");
    RuleEntry entry = get(name);
    secrets.inTransaction(work -> {
      work.rotations().deleteRule(name);
      append(work, records.get());
      return null;
    });
    return entry;
  }

  private static void append(UnitOfWork work, List<AuditEvent> records) {
    if (!records.isEmpty()) {
      work.audit().append(records);
    }
  }
}
