package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.CheckInfo;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RotationListResponse;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.RuleResponse;
import dev.keyturn.api.SetupResponse;
import dev.keyturn.api.StatusResponse;
import dev.keyturn.api.StatusRow;
import dev.keyturn.core.Durations;
import dev.keyturn.core.Generator;
import dev.keyturn.core.HookSpec;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.StoredSecret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rule, rotation and status routes, and the one place where they map between wire records and
 * the domain. Who may call them is declared in {@link Routes}.
 */
final class RotationsApi {
  private static final Duration DUE_TOLERANCE = Duration.ofHours(1);

  private final RotationEngine engine;
  private final RotationStore rotations;
  private final SecretService secrets;
  private final Clock clock;
  private final java.security.SecureRandom random = new java.security.SecureRandom();

  RotationsApi(RotationEngine engine, RotationStore rotations, SecretService secrets, Clock clock) {
    this.engine = requireNonNull(engine, "engine");
    this.rotations = requireNonNull(rotations, "rotations");
    this.secrets = requireNonNull(secrets, "secrets");
    this.clock = requireNonNull(clock, "clock");
  }

  RuleResponse putRule(Exchange ex) {
    SecretName name = ex.name();
    RotationRule rule = rule(name, ex.body(RuleBody.class));
    for (HookSpec hook : rule.hooks()) {
      if (!engine.hookTypes().contains(hook.type())) {
        throw HttpError.badRequest("unknown hook type (command, http, sql)");
      }
    }
    Optional<String> admin = Optional.ofNullable(rule.target().get("admin"));
    if (admin.isPresent() && !hasCurrent(SecretName.of(admin.get()))) {
      throw HttpError.badRequest("the admin secret has no current version; store it first");
    }
    if (!engine.targetTypes().contains(rule.targetType())) {
      throw HttpError.badRequest(
          "unknown target type; this server knows "
              + String.join(", ", engine.targetTypes().stream().sorted().toList()));
    }
    Version current =
        secrets
            .describe(name)
            .versions()
            .current()
            .orElseThrow(() ->
                new KeyturnException.NotFound(name + " has no current version; put one first"));
    rule = engine.prepare(keepDerivedSettings(rule));
    // No rotation on adoption: the first one is due a period after the current version was made.
    Optional<Instant> nextDue = Schedule.nextDue(rule.schedule(), current.createdAt(), random);
    rotations.putRule(rule, nextDue);
    ex.detail = rule.strategy().wireName() + " " + rule.targetType();
    return response(new RotationStore.RuleEntry(rule, nextDue));
  }

  /**
   * Settings a target derived from the value when the rule was first set (the alternating users'
   * names, taken from the then-current user) stay when the rule is set again without them: after a
   * switch the current user is the second one, and deriving again would pair it with a third.
   */
  private RotationRule keepDerivedSettings(RotationRule rule) {
    Optional<RotationStore.RuleEntry> old = rotations.rule(rule.secret());
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

  private boolean hasCurrent(SecretName name) {
    try {
      return secrets.describe(name).versions().current().isPresent();
    } catch (KeyturnException.NotFound e) {
      return false;
    }
  }

  RuleResponse getRule(Exchange ex) {
    SecretName name = ex.name();
    return response(
        rotations
            .rule(name)
            .orElseThrow(() -> new KeyturnException.NotFound(name + " has no rotation rule")));
  }

  RuleResponse deleteRule(Exchange ex) {
    SecretName name = ex.name();
    RotationStore.RuleEntry entry =
        rotations
            .rule(name)
            .orElseThrow(() -> new KeyturnException.NotFound(name + " has no rotation rule"));
    rotations.deleteRule(name);
    return response(entry);
  }

  SetupResponse setup(Exchange ex) {
    SecretName name = ex.name();
    RotationRule rule =
        rotations
            .rule(name)
            .orElseThrow(() -> new KeyturnException.NotFound(name + " has no rotation rule"))
            .rule();
    List<String> actions = engine.setup(name);
    ex.detail = rule.targetType() + ": " + actions.size() + " actions";
    return new SetupResponse(name.value(), rule.targetType(), actions);
  }

  RotationInfo rotate(Exchange ex) {
    SecretName name = ex.name();
    RotateRequest request =
        ex.optionalBody(RotateRequest.class).orElse(new RotateRequest(null, null));
    boolean emergency = Boolean.TRUE.equals(request.emergency());
    Optional<Plaintext> value = Optional.ofNullable(request.value()).map(Plaintext::ofUtf8);
    try {
      Rotation started = engine.start(name, value, emergency, ex.caller.tokenId());
      ex.detail = started.id() + (emergency ? " emergency" : "");
      // Steps that can run now run in this request; waits (back-off, propagation) go on in the
      // scheduler, and the caller polls GET /v1/rotations/{id}.
      return info(engine.runDue(started.id()));
    } finally {
      value.ifPresent(Plaintext::destroy);
    }
  }

  RotationListResponse list(Exchange ex) {
    String secret = ex.query("secret").orElseThrow(() -> HttpError.badRequest("give ?secret=NAME"));
    SecretName name = SecretName.of(secret);
    int limit =
        ex.query("limit")
            .map(l ->
                Math.min(1000, Math.max(1, Integer.parseInt(l.matches("[0-9]{1,4}") ? l : "0"))))
            .orElse(50);
    return new RotationListResponse(
        rotations.history(name, limit).stream()
            .filter(r -> ex.visible(r.secret()))
            .map(RotationsApi::info)
            .toList());
  }

  RotationInfo show(Exchange ex) {
    return info(rotation(ex.pathTail()));
  }

  RotationInfo cancel(Exchange ex) {
    Rotation r = rotation(ex.pathTail());
    engine.cancel(r.id(), ex.caller.tokenId());
    ex.detail = r.id();
    return info(engine.runDue(r.id()));
  }

  StatusResponse status(Exchange ex) {
    String prefix = ex.query("prefix").orElse("");
    if (!prefix.matches("[A-Za-z0-9._/-]*")) {
      throw HttpError.badRequest("prefix may hold only letters, digits, '.', '_', '-' and '/'");
    }
    Instant now = clock.instant();
    List<StatusRow> rows = new ArrayList<>();
    for (RotationStore.RuleEntry entry : rotations.rules(prefix, 10_000)) {
      SecretName name = entry.rule().secret();
      if (!ex.visible(name)) {
        continue;
      }
      rows.add(row(entry, now));
    }
    return new StatusResponse(rows);
  }

  private StatusRow row(RotationStore.RuleEntry entry, Instant now) {
    SecretName name = entry.rule().secret();
    Optional<Rotation> active = rotations.active(name);
    List<Rotation> last = rotations.history(name, 1);
    Optional<StoredSecret> secret;
    try {
      secret = Optional.of(secrets.describe(name));
    } catch (KeyturnException.NotFound e) {
      secret = Optional.empty();
    }
    Optional<Instant> lastRotated =
        secret.flatMap(s -> s.versions().current()).map(Version::createdAt);
    Optional<Instant> graceUntil =
        secret.flatMap(s -> s.versions().newestPrevious(now)).flatMap(Version::acceptUntil);
    String state;
    if (active.isPresent()) {
      state = "rotating";
    } else if (!last.isEmpty() && last.get(0).state() == RotationState.FAILED) {
      state = "failed";
    } else if (entry.nextDue().map(d -> !d.plus(DUE_TOLERANCE).isAfter(now)).orElse(false)) {
      state = "overdue";
    } else if (entry.nextDue().map(d -> !d.isAfter(now)).orElse(false)) {
      state = "due";
    } else {
      state = "ok";
    }
    return new StatusRow(
        name.value(),
        entry.rule().owner(),
        entry.rule().strategy().wireName(),
        lastRotated.map(Instant::toString).orElse(null),
        entry.nextDue().map(Instant::toString).orElse(null),
        graceUntil.map(Instant::toString).orElse(null),
        state,
        active.map(Rotation::id).orElse(last.isEmpty() ? null : last.get(0).id()));
  }

  /** The secret that rotation {@code id} rotates, if the rotation exists. */
  Optional<SecretName> secretOfRotation(String id) {
    if (!id.matches("rot_[0-9a-f]{16}")) {
      return Optional.empty();
    }
    return rotations.rotation(id).map(Rotation::secret);
  }

  /** {@code name}'s stored rule as the wire shows it, if it has one. */
  Optional<RuleBody> storedRule(SecretName name) {
    return rotations.rule(name).map(e -> response(e).rule());
  }

  private Rotation rotation(String id) {
    if (!id.matches("rot_[0-9a-f]{16}")) {
      throw new KeyturnException.NotFound("rotation " + id + " does not exist");
    }
    return rotations
        .rotation(id)
        .orElseThrow(() -> new KeyturnException.NotFound("rotation " + id + " does not exist"));
  }

  static RotationRule rule(SecretName name, RuleBody body) {
    String generate = body.generate() == null ? "hex:32" : body.generate();
    Generator generator = Generator.parse(generate);
    Strategy strategy =
        body.strategy() == null
            ? (generator.isManual() ? Strategy.MANUAL : Strategy.OVERLAP)
            : Strategy.fromWire(body.strategy());
    Optional<Schedule> schedule =
        body.every() == null && body.cron() == null
            ? Optional.empty()
            : Optional.of(
                new Schedule(
                    Optional.ofNullable(body.every()),
                    Optional.ofNullable(body.cron()),
                    Optional.ofNullable(body.window()),
                    Schedule.zone(body.timezone())));
    if (schedule.isEmpty() && body.window() != null) {
      throw HttpError.badRequest("a window needs --every or --cron");
    }
    Map<String, String> target =
        new LinkedHashMap<>(body.target() == null ? Map.of() : body.target());
    String type = target.remove("type");
    return new RotationRule(
        name,
        generator,
        schedule,
        body.grace() == null ? Duration.ZERO : Durations.parse(body.grace()),
        strategy,
        body.propagation() == null ? Duration.ZERO : Durations.parse(body.propagation()),
        type == null ? "none" : type,
        target,
        body.owner() == null ? "" : body.owner(),
        body.purpose() == null ? "" : body.purpose(),
        body.impact() == null ? "" : body.impact(),
        body.attempts() == null ? 5 : body.attempts(),
        body.backoff() == null ? Duration.ofSeconds(1) : Durations.parse(body.backoff()),
        hooks(body.hooks()));
  }

  private static List<HookSpec> hooks(List<Map<String, String>> wire) {
    List<HookSpec> out = new ArrayList<>();
    for (Map<String, String> h : wire == null ? List.<Map<String, String>>of() : wire) {
      Map<String, String> settings = new LinkedHashMap<>(h);
      String phase = settings.remove("phase");
      String type = settings.remove("type");
      String check = settings.remove("check");
      if (phase == null || type == null) {
        throw HttpError.badRequest("every hook needs a phase and a type");
      }
      out.add(new HookSpec(HookSpec.Phase.fromWire(phase), type, "true".equals(check), settings));
    }
    return out;
  }

  static RuleResponse response(RotationStore.RuleEntry entry) {
    RotationRule r = entry.rule();
    Map<String, String> target = new LinkedHashMap<>();
    target.put("type", r.targetType());
    target.putAll(r.target());
    return new RuleResponse(
        r.secret().value(),
        new RuleBody(
            r.generator().spec(),
            r.schedule().flatMap(Schedule::every).orElse(null),
            r.schedule().map(s -> s.zone().getId()).orElse(null),
            Durations.format(r.grace()),
            r.strategy().wireName(),
            Durations.format(r.propagation()),
            target,
            r.owner(),
            r.purpose(),
            r.impact(),
            r.attempts(),
            Durations.format(r.backoff()),
            r.hooks().stream().map(RotationsApi::hook).toList(),
            r.schedule().flatMap(Schedule::cron).orElse(null),
            r.schedule().flatMap(Schedule::window).orElse(null)),
        entry.nextDue().map(Instant::toString).orElse(null));
  }

  private static Map<String, String> hook(HookSpec h) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("phase", h.phase().wireName());
    out.put("type", h.type());
    out.put("check", Boolean.toString(h.check()));
    out.putAll(h.settings());
    return out;
  }

  static RotationInfo info(Rotation r) {
    return new RotationInfo(
        r.id(),
        r.secret().value(),
        r.state().wireName(),
        r.attempt(),
        r.startedAt().toString(),
        r.updatedAt().toString(),
        r.nextAttemptAt().toString(),
        r.pendingVersion().orElse(null),
        r.emergency(),
        r.requestedBy(),
        r.reason().orElse(null),
        r.checklist().stream()
            .map(c -> new CheckInfo(c.name(), c.ok(), c.millis(), c.message()))
            .toList());
  }
}
