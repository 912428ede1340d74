package dev.keyturn.targets;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.Generator;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.SweepProgress;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.InMemoryAuditLog;
import dev.keyturn.testing.InMemoryStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A rotation engine over in-memory stores and a real database target for {@code reencrypt} rules,
 * with crash injection inside a sweep: the engine can be stopped the way a kill stops it just after
 * its k-th committed batch (before or after the progress is saved); a new engine on the same stores
 * then resumes, as a restarted server would.
 */
final class ReencryptHarness {
  static final SecretName KEY = SecretName.of("leather-api/production/CREDENTIAL_ENCRYPTION_KEY");
  static final SecretName ADMIN = SecretName.of("leather-api/production/DATABASE_ADMIN");
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  /** Thrown to stop the engine the way a kill would: nothing after it runs. */
  static final class Crash extends Error {
    private static final long serialVersionUID = 1L;

    Crash(String where) {
      super("crash " + where, null, false, false);
    }
  }

  final FixedClock clock = new FixedClock(T0);
  final SecureRandom random = new SecureRandom();
  final InMemoryStore store = new InMemoryStore(clock);
  final SecretService secrets =
      new SecretService(store, new Envelope(RootKey.generate(random), random), clock);
  final InMemoryAuditLog audit = store.openAuditLog(new AuditChain(RootKey.generate(random)));
  final Target target;
  final String type;

  /** Crash after this many more saved batches (0: none); before the save when {@code early}. */
  int crashAfterBatches;

  boolean early;

  /** Runs after every saved batch (a sampler), with the progress saved. */
  Consumer<SweepProgress> onBatch = p -> {};

  ReencryptHarness(String type, Target target) {
    this.type = type;
    this.target = target;
  }

  RotationEngine engine() {
    Map<String, Target> targets = new HashMap<>();
    targets.put(type, new CrashingTarget());
    return new RotationEngine(
        secrets, store.rotations(), targets, Map.of(), audit, clock, random, "node-1", r -> {});
  }

  void putKey(String fernetKey) {
    secrets.inTransaction(w ->
        secrets.put(
            w,
            KEY,
            Plaintext.wrap(fernetKey.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            ValueType.STRING,
            Duration.ZERO,
            Stage.CURRENT,
            "tok_test"));
  }

  void putAdmin(DatabaseSecret admin) {
    secrets.inTransaction(w ->
        secrets.put(
            w,
            ADMIN,
            Plaintext.wrap(admin.toJson()),
            ValueType.JSON,
            Duration.ZERO,
            Stage.CURRENT,
            "tok_test"));
  }

  /**
   * A reencrypt rule with {@code settings} (admin added), validated and prepared as the server
   * does.
   */
  RotationRule rule(Map<String, String> settings) {
    RotationRule rule = unchecked(settings);
    RotationEngine engine = engine();
    engine.validate(rule);
    RotationRule prepared = engine.prepare(rule);
    store.rotations().putRule(prepared, Optional.of(T0.plus(Duration.ofDays(30))));
    return prepared;
  }

  /** The rule as it would come back from a store someone edited: no checks. */
  RotationRule unchecked(Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    all.put("admin", ADMIN.value());
    return new RotationRule(
        KEY,
        Generator.parse("fernet"),
        Optional.of(Schedule.of("30d", "UTC")),
        Duration.ZERO,
        Strategy.REENCRYPT,
        Duration.ZERO,
        type,
        all,
        "dba",
        "CREDENTIAL_ENCRYPTION_KEY",
        "stored credentials unreadable",
        2,
        Duration.ZERO,
        List.of(),
        Optional.empty(),
        false,
        true);
  }

  Rotation start() {
    return engine().start(KEY, Optional.empty(), false, "tok_test");
  }

  Rotation rotate() {
    RotationEngine engine = engine();
    return engine.runDue(engine.start(KEY, Optional.empty(), false, "tok_test").id());
  }

  Rotation rotation(String id) {
    return store.rotations().rotation(id).orElseThrow();
  }

  /** The key of version {@code n}. */
  String key(int n) {
    return secrets.read(KEY, Selector.version(n), true).plaintext().revealUtf8();
  }

  /** The versions not retired, newest first, with their keys. */
  List<KeyVersion> live() {
    List<KeyVersion> out = new ArrayList<>();
    for (Version v : secrets.describe(KEY).versions().versions()) {
      if (v.stage() != Stage.RETIRED) {
        KeyStage stage = KeyStage.valueOf(v.stage().name());
        out.add(KeyVersion.text(v.number(), stage, key(v.number())));
      }
    }
    return out;
  }

  /** A keyring of the versions not retired, as the keyring API lists them. */
  FernetKeyring keyring() {
    return FernetKeyring.of(KEY.value(), live());
  }

  List<Stage> stages() {
    return secrets.describe(KEY).versions().versions().stream().map(Version::stage).toList();
  }

  SecretValue current() {
    return secrets.read(KEY, Selector.current(), true);
  }

  /** The admin credential now. */
  DatabaseSecret admin() {
    return DatabaseSecret.parse(secrets.read(ADMIN, Selector.current(), true).plaintext().reveal());
  }

  /** Passes calls to the real target; may crash inside a sweep, after a committed batch. */
  private final class CrashingTarget implements Target {
    @Override
    public void validate(
        RotationRule rule, java.util.function.Function<SecretName, SecretValue> secrets) {
      target.validate(rule, secrets);
    }

    @Override
    public RotationRule prepare(RotationRule rule, SecretValue current) {
      return target.prepare(rule, current);
    }

    @Override
    public RotationRule prepare(
        RotationRule rule,
        SecretValue current,
        java.util.function.Function<SecretName, SecretValue> secrets) {
      return target.prepare(rule, current, secrets);
    }

    @Override
    public Plaintext nextValue(
        RotationRule rule, SecretValue current, Plaintext generated, boolean emergency) {
      return target.nextValue(rule, current, generated, emergency);
    }

    @Override
    public void checkWrite(RotationRule rule, Optional<SecretValue> current, Plaintext value) {
      target.checkWrite(rule, current, value);
    }

    @Override
    public void set(TargetContext context) {
      target.set(crashing(context));
    }

    @Override
    public void test(TargetContext context) {
      target.test(context);
    }

    @Override
    public boolean canTell(TargetContext context) {
      return target.canTell(context);
    }

    @Override
    public void rollback(TargetContext context) {
      target.rollback(crashing(context));
    }

    @Override
    public List<String> setup(RevokeContext context) {
      return target.setup(context);
    }

    private TargetContext crashing(TargetContext c) {
      return new TargetContext(
          c.rule(),
          c.rotation(),
          c.pending(),
          c.current(),
          c.secrets(),
          c.startedProcess(),
          c.outbound(),
          p -> {
            boolean crash = crashAfterBatches > 0 && --crashAfterBatches == 0;
            if (crash && early) {
              throw new Crash("after a commit, before its progress was saved");
            }
            c.progress().accept(p);
            onBatch.accept(p);
            if (crash) {
              throw new Crash("after a batch and its progress");
            }
          });
    }
  }
}
