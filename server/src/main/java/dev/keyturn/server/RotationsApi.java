package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.BackupScheduleStatus;
import dev.keyturn.api.CheckInfo;
import dev.keyturn.api.ConsumerFailure;
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
import dev.keyturn.core.RuleService;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.StatusBoard;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.spi.RotationStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The rule, rotation and status routes, and the one place where they map between wire records and
 * the domain. Who may call them is declared in {@link Routes}.
 */
final class RotationsApi {
  /** How long a rotate request waits for the rotation's steps before it answers. */
  static final Duration IN_REQUEST = Duration.ofSeconds(10);

  private static final ExecutorService STEPS =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rotation-steps-", 0).factory());

  private final RotationEngine engine;
  private final java.util.function.Supplier<Optional<ScheduledBackups.Status>> backups;
  private final RotationStore rotations;
  private final RuleService rules;
  private final StatusBoard board;
  private final SecretService secrets;
  private final Clock clock;

  RotationsApi(RotationEngine engine, RotationStore rotations, SecretService secrets, Clock clock) {
    this(engine, rotations, secrets, clock, Optional::empty);
  }

  /** As above, with the scheduled backups the status board shows. */
  RotationsApi(
      RotationEngine engine,
      RotationStore rotations,
      SecretService secrets,
      Clock clock,
      java.util.function.Supplier<Optional<ScheduledBackups.Status>> backups) {
    this.backups = requireNonNull(backups, "backups");
    this.engine = requireNonNull(engine, "engine");
    this.rotations = requireNonNull(rotations, "rotations");
    this.secrets = requireNonNull(secrets, "secrets");
    this.clock = requireNonNull(clock, "clock");
    this.rules =
        new RuleService(engine, rotations, secrets, clock, new java.security.SecureRandom());
    this.board = new StatusBoard(rotations, secrets, clock, engine::whyNotRunnable);
  }

  RuleResponse putRule(Exchange ex) {
    SecretName name = ex.name();
    RuleBody body = ex.body(RuleBody.class);
    // Who set the rule decides where it may connect: admin:* is not limited by the outbound policy.
    RotationRule rule =
        rule(name, body).toBuilder().setByGlobalAdmin(ex.caller.holdsAdminOnEverything()).build();
    RotationStore.RuleEntry entry =
        rules.set(
            rule,
            lastRotated(body, rule),
            stored -> {
              ex.detail = stored.rule().strategy().wireName() + " " + stored.rule().targetType();
              return ex.changeRecords();
            });
    return response(entry);
  }

  /** {@code last_rotated}: an RFC 3339 time, or a date (midnight in the rule's time zone). */
  private static Optional<Instant> lastRotated(RuleBody body, RotationRule rule) {
    if (body.lastRotated() == null) {
      return Optional.empty();
    }
    String text = body.lastRotated().strip();
    try {
      if (text.matches("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
        java.time.ZoneId zone =
            rule.schedule().map(Schedule::zone).orElse(java.time.ZoneOffset.UTC);
        return Optional.of(java.time.LocalDate.parse(text).atStartOfDay(zone).toInstant());
      }
      return Optional.of(java.time.OffsetDateTime.parse(text).toInstant());
    } catch (java.time.format.DateTimeParseException e) {
      throw HttpError.badRequest(
          "last_rotated is a date (2026-08-01) or an RFC 3339 time (2026-08-01T10:00:00Z)");
    }
  }

  RuleResponse getRule(Exchange ex) {
    SecretName name = ex.name();
    return response(rules.get(name));
  }

  RuleResponse deleteRule(Exchange ex) {
    SecretName name = ex.name();
    return response(rules.delete(name, ex::changeRecords));
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
    Optional<String> note = Optional.ofNullable(request.reason());
    if (note.isPresent()) {
      Rotation.checkNote(note.get());
    }
    Optional<Plaintext> value = Optional.ofNullable(request.value()).map(Plaintext::ofUtf8);
    try {
      if (value.isPresent()) {
        SuppliedValues.check(
            rotations.rule(name).map(RotationStore.RuleEntry::rule), secrets, name, value.get());
      }
      Rotation started = engine.startToRun(name, value, emergency, note, ex.caller.tokenId());
      ex.detail = started.id() + (emergency ? " emergency" : "");
      // Steps that can run now run at once; waits (back-off, propagation) go on in the
      // scheduler, and the caller polls GET /v1/rotations/{id}.
      return info(runAWhile(started));
    } finally {
      value.ifPresent(Plaintext::destroy);
    }
  }

  /**
   * Runs the steps of a rotation that can run now, answering with its state after at most {@link
   * #IN_REQUEST}: a slow target or check (an SMTP server that never answers takes its whole
   * timeout, 30 s by default, per attempt) goes on in the background, so the caller's HTTP timeout
   * never cuts the answer off while the rotation runs on unseen.
   */
  private Rotation runAWhile(Rotation started) {
    CompletableFuture<Rotation> run =
        CompletableFuture.supplyAsync(() -> engine.runDue(started.id()), STEPS);
    try {
      return run.get(IN_REQUEST.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return rotations.rotation(started.id()).orElse(started);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      throw new IllegalStateException("rotation " + started.id() + " failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return rotations.rotation(started.id()).orElse(started);
    }
  }

  /**
   * {@code GET /v1/rotations}: one secret's rotations ({@code ?secret=NAME}), or those of every
   * secret under {@code ?prefix=} ({@code ?state=} a rotation state, or {@code active} for any
   * unfinished one), newest first; only the rows of secrets the caller may rotate.
   */
  RotationListResponse list(Exchange ex) {
    int limit =
        ex.query("limit")
            .map(l ->
                Math.min(1000, Math.max(1, Integer.parseInt(l.matches("[0-9]{1,4}") ? l : "0"))))
            .orElse(50);
    Optional<String> secret = ex.query("secret");
    if (secret.isPresent()) {
      if (ex.query("prefix").isPresent() || ex.query("state").isPresent()) {
        throw HttpError.badRequest("give ?secret=NAME, or ?prefix= with ?state=, not both");
      }
      SecretName name =
          SecretName.parse(secret.get())
              .orElseThrow(() -> HttpError.badRequest("?secret= must name a secret"));
      return new RotationListResponse(
          rotations.history(name, limit).stream()
              .filter(r -> ex.visible(r.secret()))
              .map(RotationsApi::info)
              .toList());
    }
    String prefix = ex.query("prefix").orElse("");
    if (!prefix.matches("[A-Za-z0-9._/-]{0,256}")) {
      throw HttpError.badRequest("prefix may hold only letters, digits, '.', '_', '-' and '/'");
    }
    Set<RotationState> states = ex.query("state").map(RotationsApi::states).orElse(Set.of());
    if (!ex.everyRow && ex.rowPatterns.isEmpty()) {
      return new RotationListResponse(List.of());
    }
    return new RotationListResponse(
        rotations.recent(prefix, states, ex.everyRow ? List.of() : ex.rowPatterns, limit).stream()
            .filter(r -> ex.visible(r.secret()))
            .map(RotationsApi::info)
            .toList());
  }

  /**
   * The states {@code ?state=} names: one state's wire name, or {@code active} for any unfinished.
   */
  private static Set<RotationState> states(String wire) {
    if (wire.equals("active")) {
      return java.util.EnumSet.complementOf(
          java.util.EnumSet.of(RotationState.FINISHED, RotationState.FAILED));
    }
    for (RotationState s : RotationState.values()) {
      if (s.wireName().equals(wire)) {
        return Set.of(s);
      }
    }
    throw HttpError.badRequest(
        "state is active, or one of create, set, test, finish, rollback, finished, failed");
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

  /** The board, with this server's scheduled backups when {@code withBackups}. */
  StatusResponse status(Exchange ex, boolean withBackups) {
    String prefix = ex.query("prefix").orElse("");
    if (!prefix.matches("[A-Za-z0-9._/-]*")) {
      throw HttpError.badRequest("prefix may hold only letters, digits, '.', '_', '-' and '/'");
    }
    BackupScheduleStatus scheduled =
        withBackups ? backups.get().map(RotationsApi::backups).orElse(null) : null;
    boolean tree = ex.flag("tree");
    Optional<String> after = ex.query("after");
    Optional<String> limit = ex.query("limit");
    if (after.isEmpty() && limit.isEmpty() && !tree) {
      return new StatusResponse(
          board.rows(prefix, ex::visible).stream().map(this::row).toList(), scheduled);
    }
    if (after.isPresent() && !after.get().matches("[A-Za-z0-9._/-]{1,256}")) {
      throw HttpError.badRequest("after is a secret name");
    }
    if (limit.isPresent() && !limit.get().matches("[0-9]{1,5}")) {
      throw HttpError.badRequest("limit is a number from 1 to " + StatusBoard.MAX_ROWS);
    }
    // A page computes the rows of its own names only (the dashboard's inventory, 100 rows of a
    // folder of any size); its rows are the full board's rows for those names, seen the same way.
    StatusBoard.Window window =
        board.window(
            prefix,
            ex::visible,
            tree,
            after,
            limit.map(Integer::parseInt).orElse(StatusBoard.MAX_ROWS));
    return new StatusResponse(
        window.rows().stream().map(this::row).toList(),
        scheduled,
        window.next().orElse(null),
        window.total(),
        tree
            ? window.folders().entrySet().stream()
                .map(e -> new dev.keyturn.api.StatusFolder(e.getKey(), e.getValue()))
                .toList()
            : null);
  }

  private static BackupScheduleStatus backups(ScheduledBackups.Status s) {
    return new BackupScheduleStatus(
        s.schedule().dir().toString(),
        dev.keyturn.core.Durations.format(s.schedule().every()),
        s.schedule().keep(),
        s.state(),
        s.lastSuccess().map(Instant::toString).orElse(null),
        s.lastFile().orElse(null),
        s.lastFailure().map(Instant::toString).orElse(null),
        s.lastError().orElse(null),
        s.nextAt().map(Instant::toString).orElse(null),
        s.kept());
  }

  private StatusRow row(StatusBoard.Row r) {
    Optional<dev.keyturn.core.spi.StoredSecret> stored = r.secret();
    Instant now = clock.instant();
    Optional<dev.keyturn.core.Version> current = stored.flatMap(s -> s.versions().current());
    return new StatusRow(
        r.name().value(),
        r.rule().map(RotationRule::owner).orElse(""),
        r.rule().map(rule -> rule.strategy().wireName()).orElse(null),
        r.lastRotated().map(Instant::toString).orElse(null),
        r.nextDue().map(Instant::toString).orElse(null),
        r.graceUntil().map(Instant::toString).orElse(null),
        r.state().wireName(),
        r.rotationId().orElse(null),
        r.waitingFor(),
        r.failedConsumers().stream()
            .map(f -> new ConsumerFailure(f.consumer(), f.failed(), f.using()))
            .toList(),
        current.map(v -> v.type().wireName()).orElse(null),
        current.map(dev.keyturn.core.Version::number).orElse(null),
        stored
            .flatMap(s -> s.versions().pending())
            .map(dev.keyturn.core.Version::number)
            .orElse(null),
        stored
            .flatMap(s -> s.versions().newestPrevious(now))
            .map(dev.keyturn.core.Version::number)
            .orElse(null));
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
    return RotationRule.builder(name)
        .generator(generator)
        .schedule(schedule)
        .grace(body.grace() == null ? Duration.ZERO : Durations.parse(body.grace()))
        .strategy(strategy)
        .propagation(propagation(body.propagation()))
        .propagationWaitsForConsumers(
            body.propagation() != null && body.propagation().startsWith(CONSUMERS))
        .consumerDeadline(
            body.consumerDeadline() == null
                ? Optional.empty()
                : Optional.of(Durations.parse(body.consumerDeadline())))
        .targetType(type == null ? "none" : type)
        .target(target)
        .owner(body.owner() == null ? "" : body.owner())
        .purpose(body.purpose() == null ? "" : body.purpose())
        .impact(body.impact() == null ? "" : body.impact())
        .attempts(body.attempts() == null ? 5 : body.attempts())
        .backoff(body.backoff() == null ? Duration.ofSeconds(1) : Durations.parse(body.backoff()))
        .hooks(hooks(body.hooks()))
        .catchUp(Boolean.TRUE.equals(body.catchUp()))
        .publishJwks(jwks(body.jwks()))
        .build();
  }

  /** How {@code --propagation} says that the set step waits for consumers: {@code consumers:D}. */
  private static final String CONSUMERS = "consumers:";

  private static Duration propagation(String wire) {
    if (wire == null) {
      return Duration.ZERO;
    }
    return Durations.parse(wire.startsWith(CONSUMERS) ? wire.substring(CONSUMERS.length()) : wire);
  }

  private static boolean jwks(String wire) {
    if (wire == null || wire.equals("none")) {
      return false;
    }
    if (wire.equals("public")) {
      return true;
    }
    throw HttpError.badRequest("jwks is public or none");
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
            (r.propagationWaitsForConsumers() ? CONSUMERS : "") + Durations.format(r.propagation()),
            target,
            r.owner(),
            r.purpose(),
            r.impact(),
            r.attempts(),
            Durations.format(r.backoff()),
            r.hooks().stream().map(RotationsApi::hook).toList(),
            r.schedule().flatMap(Schedule::cron).orElse(null),
            r.schedule().flatMap(Schedule::window).orElse(null),
            r.lastRotated().map(l -> l.at().toString()).orElse(null),
            r.catchUp(),
            r.publishJwks() ? "public" : null,
            r.consumerDeadline().map(Durations::format).orElse(null)),
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
            .toList(),
        r.note().orElse(null),
        r.progress()
            .map(p ->
                new dev.keyturn.api.RotationProgress(p.total(), p.done(), p.skipped(), p.failed()))
            .orElse(null));
  }
}
