package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How and when one secret is rotated. Setting a rule never rotates at once: the first rotation is
 * due one period after the current version was made (or after {@code lastRotated}, for a secret
 * adopted from a runbook). Stored whole by {@link RuleCodec}: every component round-trips.
 *
 * @param generator how new values are made; {@code manual} when a person supplies them
 * @param schedule how often; absent for a secret rotated only on request
 * @param grace how long the replaced version stays valid (overlap and manual strategies)
 * @param propagation how long a new value is accepted by verifiers before signers use it
 * @param target where the value is applied and tested: {@code type} and its settings
 * @param attempts how many times a failing step is tried before the rotation rolls back
 * @param backoff the wait before the first retry; each retry waits twice as long
 * @param hooks what runs after set, after finish and on failure; checks among them gate a step
 * @param lastRotated when the version that was current when the rule was set had really been made,
 *     for a secret stored in Keyturn after it was last rotated by hand
 * @param catchUp whether a rule found overdue when it is set rotates at once rather than in its
 *     next window (or only on request, without a window)
 * @param setByGlobalAdmin whether the rule's author held {@code admin:*}: only then may its hooks,
 *     webhooks and targets reach destinations outside the operator's outbound allowlist
 *     (docs/security.md, "Who decides what")
 * @param publishJwks whether {@code GET /v1/jwks/{name}} serves the public keys of the secret's
 *     pending, current and previous versions ({@code --jwks public}); only for generators that make
 *     private keys ({@code rsa}, {@code ec}, {@code ed25519})
 * @param consumerDeadline how long past its grace window a previous version that a live consumer
 *     still uses is kept from retirement (and an alternating-users rotation waits for such a
 *     consumer before changing its user's password); absent: one more {@code grace}
 * @param propagationWaitsForConsumers whether {@code propagation} is an upper bound ({@code
 *     --propagation consumers:D}): the set step waits, at most that long after the new value was
 *     stored, until every live consumer accepts it; else it is a fixed delay (overlap only)
 */
public record RotationRule(
    SecretName secret,
    Generator generator,
    Optional<Schedule> schedule,
    Duration grace,
    Strategy strategy,
    Duration propagation,
    String targetType,
    Map<String, String> target,
    String owner,
    String purpose,
    String impact,
    int attempts,
    Duration backoff,
    List<HookSpec> hooks,
    Optional<LastRotated> lastRotated,
    boolean catchUp,
    boolean setByGlobalAdmin,
    boolean publishJwks,
    Optional<Duration> consumerDeadline,
    boolean propagationWaitsForConsumers) {

  public RotationRule {
    requireNonNull(secret, "secret");
    requireNonNull(generator, "generator");
    requireNonNull(schedule, "schedule");
    requireNonNull(grace, "grace");
    requireNonNull(strategy, "strategy");
    requireNonNull(propagation, "propagation");
    requireNonNull(targetType, "targetType");
    target = Map.copyOf(target);
    requireNonNull(owner, "owner");
    requireNonNull(purpose, "purpose");
    requireNonNull(impact, "impact");
    requireNonNull(backoff, "backoff");
    hooks = List.copyOf(hooks);
    requireNonNull(lastRotated, "lastRotated");
    requireNonNull(consumerDeadline, "consumerDeadline");
    if (consumerDeadline.filter(Duration::isNegative).isPresent()) {
      throw new KeyturnException.InvalidInput("the consumer deadline must not be negative");
    }
    if (propagationWaitsForConsumers && propagation.isZero()) {
      throw new KeyturnException.InvalidInput(
          "--propagation consumers:D needs a duration D above zero, the longest wait");
    }
    if (grace.isNegative() || propagation.isNegative() || backoff.isNegative()) {
      throw new KeyturnException.InvalidInput(
          "grace, propagation and backoff must not be negative");
    }
    if (attempts < 1 || attempts > 20) {
      throw new KeyturnException.InvalidInput("attempts must be between 1 and 20");
    }
    if (generator.isManual() != (strategy == Strategy.MANUAL)) {
      throw new KeyturnException.InvalidInput(
          "the manual strategy goes with --generate manual, and only with it");
    }
    if (publishJwks && !generator.makesKeyPair()) {
      throw new KeyturnException.InvalidInput(
          "--jwks public needs a generator that makes key pairs (rsa:N, ec:p256, ec:p384,"
              + " ed25519): "
              + generator.spec()
              + " makes a secret with no public half");
    }
  }

  /** A rule whose retirement waits one more grace for consumers, with a fixed propagation. */
  public RotationRule(
      SecretName secret,
      Generator generator,
      Optional<Schedule> schedule,
      Duration grace,
      Strategy strategy,
      Duration propagation,
      String targetType,
      Map<String, String> target,
      String owner,
      String purpose,
      String impact,
      int attempts,
      Duration backoff,
      List<HookSpec> hooks,
      Optional<LastRotated> lastRotated,
      boolean catchUp,
      boolean setByGlobalAdmin,
      boolean publishJwks) {
    this(
        secret,
        generator,
        schedule,
        grace,
        strategy,
        propagation,
        targetType,
        target,
        owner,
        purpose,
        impact,
        attempts,
        backoff,
        hooks,
        lastRotated,
        catchUp,
        setByGlobalAdmin,
        publishJwks,
        Optional.empty(),
        false);
  }

  /** A rule that publishes no JWK Set. */
  public RotationRule(
      SecretName secret,
      Generator generator,
      Optional<Schedule> schedule,
      Duration grace,
      Strategy strategy,
      Duration propagation,
      String targetType,
      Map<String, String> target,
      String owner,
      String purpose,
      String impact,
      int attempts,
      Duration backoff,
      List<HookSpec> hooks,
      Optional<LastRotated> lastRotated,
      boolean catchUp,
      boolean setByGlobalAdmin) {
    this(
        secret,
        generator,
        schedule,
        grace,
        strategy,
        propagation,
        targetType,
        target,
        owner,
        purpose,
        impact,
        attempts,
        backoff,
        hooks,
        lastRotated,
        catchUp,
        setByGlobalAdmin,
        false);
  }

  /**
   * Version {@code version} of the secret, current when the rule was set, was really made at {@code
   * at} (rotated by hand before Keyturn knew the secret).
   */
  public record LastRotated(int version, Instant at) {
    public LastRotated {
      requireNonNull(at, "at");
      if (version < 1) {
        throw new KeyturnException.InvalidInput("a version number starts at 1");
      }
    }
  }

  /** A rule for {@code secret} with the defaults of {@code keyturn rotation set}. */
  public static Builder builder(SecretName secret) {
    return new Builder(secret);
  }

  /** A builder holding this rule's fields. */
  public Builder toBuilder() {
    Builder b = new Builder(secret);
    b.generator = generator;
    b.schedule = schedule;
    b.grace = grace;
    b.strategy = strategy;
    b.propagation = propagation;
    b.targetType = targetType;
    b.target = target;
    b.owner = owner;
    b.purpose = purpose;
    b.impact = impact;
    b.attempts = attempts;
    b.backoff = backoff;
    b.hooks = hooks;
    b.lastRotated = lastRotated;
    b.catchUp = catchUp;
    b.setByGlobalAdmin = setByGlobalAdmin;
    b.publishJwks = publishJwks;
    b.consumerDeadline = consumerDeadline;
    b.propagationWaitsForConsumers = propagationWaitsForConsumers;
    return b;
  }

  /** This rule with other target settings. */
  public RotationRule withTarget(Map<String, String> settings) {
    return toBuilder().target(settings).build();
  }

  /**
   * When the secret was last rotated, as far as Keyturn knows: {@code lastRotated} while its
   * version is still current, else when the current version was made.
   */
  public Instant lastRotatedAt(Version current) {
    return lastRotated
        .filter(l -> l.version() == current.number())
        .map(LastRotated::at)
        .orElse(current.createdAt());
  }

  /** Builds rules; not thread-safe. Defaults: {@code hex:32}, overlap, target none, 5 attempts. */
  public static final class Builder {
    private final SecretName secret;
    private Generator generator = Generator.parse("hex:32");
    private Optional<Schedule> schedule = Optional.empty();
    private Duration grace = Duration.ZERO;
    private Strategy strategy = Strategy.OVERLAP;
    private Duration propagation = Duration.ZERO;
    private String targetType = "none";
    private Map<String, String> target = Map.of();
    private String owner = "";
    private String purpose = "";
    private String impact = "";
    private int attempts = 5;
    private Duration backoff = Duration.ofSeconds(1);
    private List<HookSpec> hooks = List.of();
    private Optional<LastRotated> lastRotated = Optional.empty();
    private boolean catchUp;
    private boolean setByGlobalAdmin;
    private boolean publishJwks;
    private Optional<Duration> consumerDeadline = Optional.empty();
    private boolean propagationWaitsForConsumers;

    private Builder(SecretName secret) {
      this.secret = requireNonNull(secret, "secret");
    }

    public Builder generator(Generator generator) {
      this.generator = generator;
      return this;
    }

    public Builder schedule(Optional<Schedule> schedule) {
      this.schedule = schedule;
      return this;
    }

    public Builder grace(Duration grace) {
      this.grace = grace;
      return this;
    }

    public Builder strategy(Strategy strategy) {
      this.strategy = strategy;
      return this;
    }

    public Builder propagation(Duration propagation) {
      this.propagation = propagation;
      return this;
    }

    public Builder targetType(String targetType) {
      this.targetType = targetType;
      return this;
    }

    public Builder target(Map<String, String> target) {
      this.target = target;
      return this;
    }

    public Builder owner(String owner) {
      this.owner = owner;
      return this;
    }

    public Builder purpose(String purpose) {
      this.purpose = purpose;
      return this;
    }

    public Builder impact(String impact) {
      this.impact = impact;
      return this;
    }

    public Builder attempts(int attempts) {
      this.attempts = attempts;
      return this;
    }

    public Builder backoff(Duration backoff) {
      this.backoff = backoff;
      return this;
    }

    public Builder hooks(List<HookSpec> hooks) {
      this.hooks = hooks;
      return this;
    }

    public Builder lastRotated(Optional<LastRotated> lastRotated) {
      this.lastRotated = lastRotated;
      return this;
    }

    public Builder catchUp(boolean catchUp) {
      this.catchUp = catchUp;
      return this;
    }

    public Builder setByGlobalAdmin(boolean setByGlobalAdmin) {
      this.setByGlobalAdmin = setByGlobalAdmin;
      return this;
    }

    public Builder publishJwks(boolean publishJwks) {
      this.publishJwks = publishJwks;
      return this;
    }

    public Builder consumerDeadline(Optional<Duration> consumerDeadline) {
      this.consumerDeadline = consumerDeadline;
      return this;
    }

    public Builder propagationWaitsForConsumers(boolean waits) {
      this.propagationWaitsForConsumers = waits;
      return this;
    }

    /**
     * @throws KeyturnException.InvalidInput naming the field that is wrong
     */
    public RotationRule build() {
      return new RotationRule(
          secret,
          generator,
          schedule,
          grace,
          strategy,
          propagation,
          targetType,
          target,
          owner,
          purpose,
          impact,
          attempts,
          backoff,
          hooks,
          lastRotated,
          catchUp,
          setByGlobalAdmin,
          publishJwks,
          consumerDeadline,
          propagationWaitsForConsumers);
    }
  }

  /** This rule as set by an author who held {@code admin:*} ({@code true}) or not. */
  public RotationRule withGlobalAdmin(boolean global) {
    return toBuilder().setByGlobalAdmin(global).build();
  }

  /**
   * How long past a grace window a version a live consumer uses is kept: one more grace unless set.
   */
  public Duration consumerDeadlineOrDefault() {
    return consumerDeadline.orElse(grace);
  }

  /** Where this rule's hooks, webhooks and targets may connect under {@code operator}'s policy. */
  public Outbound outbound(Outbound operator) {
    return setByGlobalAdmin ? Outbound.unrestricted() : operator;
  }
}
