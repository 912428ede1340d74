package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.Generator;
import dev.keyturn.core.HostPolicy;
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
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
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
import java.util.function.Predicate;

/**
 * A rotation engine over in-memory stores and a real target, with crash injection: the engine can
 * be "killed" just before its k-th persisted transition or just after its k-th target call, and
 * then a new engine on the same stores resumes, as a restarted server would.
 */
final class RotationHarness {
  static final SecretName APP = SecretName.of("leather-api/production/DATABASE");
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

  /** Counts down to a crash; 0 means no crash planned. */
  private int crashAtSave;

  private int crashAfterTargetCall;

  /** The operator's configuration file: none by default (public destinations only). */
  HostPolicy host = HostPolicy.none();

  /**
   * Whether rules are set by an {@code admin:*} token (the default: the operator's own rules,
   * unlimited) or by a scoped admin, whose rules connect only where {@link #host} allows.
   */
  boolean globalAdmin = true;

  private final List<String> crashes = new ArrayList<>();

  RotationHarness(String type, Target target) {
    this.type = type;
    this.target = target;
    // A crash just before a rotation's state is saved: the save's unit of work rolls back.
    store
        .rotations()
        .beforeSave(rotation -> {
          if (crashAtSave > 0 && --crashAtSave == 0) {
            String where = "before saving " + rotation.state().wireName();
            crashes.add(where);
            throw new Crash(where);
          }
        });
  }

  RotationEngine engine() {
    Map<String, Target> targets = new HashMap<>();
    targets.put(type, new CrashingTarget());
    return new RotationEngine(
        secrets,
        store.rotations(),
        targets,
        Map.of(),
        audit,
        clock,
        random,
        "node-1",
        r -> {},
        host);
  }

  void put(SecretName name, DatabaseSecret value) {
    secrets.inTransaction(w ->
        secrets.put(
            w,
            name,
            Plaintext.wrap(value.toJson()),
            ValueType.JSON,
            Duration.ZERO,
            Stage.CURRENT,
            "tok_test"));
  }

  /** Sets the rule through the target's {@code prepare}, as the server does. */
  RotationRule rule(Strategy strategy, Duration grace, Map<String, String> settings) {
    return rule(APP, strategy, grace, settings);
  }

  /** A rule for another secret than {@link #APP} (the admin credential, say). */
  RotationRule rule(
      SecretName name, Strategy strategy, Duration grace, Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    all.put("admin", ADMIN.value());
    RotationRule rule =
        new RotationRule(
            name,
            Generator.parse("base64url:24"),
            Optional.of(Schedule.of("30d", "UTC")),
            grace,
            strategy,
            Duration.ZERO,
            type,
            all,
            "dba",
            "DATABASE_URL",
            "complete outage",
            2,
            Duration.ZERO,
            List.of(),
            Optional.empty(),
            false,
            globalAdmin);
    RotationRule prepared = engine().prepare(rule);
    store.rotations().putRule(prepared, Optional.of(T0.plus(Duration.ofDays(30))));
    return prepared;
  }

  Rotation rotate(boolean emergency) {
    return rotate(APP, emergency);
  }

  Rotation rotate(SecretName name, boolean emergency) {
    RotationEngine engine = engine();
    return engine.runDue(engine.start(name, Optional.empty(), emergency, "tok_test").id());
  }

  DatabaseSecret read(Selector selector) {
    return DatabaseSecret.parse(secrets.read(APP, selector, true).plaintext().reveal());
  }

  DatabaseSecret current() {
    return read(Selector.current());
  }

  /** Every version not retired, newest first. */
  List<DatabaseSecret> live() {
    List<DatabaseSecret> out = new ArrayList<>();
    for (Version v : secrets.describe(APP).versions().versions()) {
      if (v.stage() != Stage.RETIRED) {
        out.add(read(Selector.version(v.number())));
      }
    }
    return out;
  }

  List<Stage> stages() {
    return secrets.describe(APP).versions().versions().stream().map(Version::stage).toList();
  }

  /**
   * Kills a rotation at every persisted transition and after every target call in turn, resumes it
   * with a new engine each time, and checks after every kill and at the end that some stored
   * version logs in. Returns how many kills it made.
   */
  int crashAtEveryStep(boolean emergency, Predicate<DatabaseSecret> logsIn) {
    int kills = 0;
    for (int mode = 0; mode < 2; mode++) {
      for (int k = 1; ; k++) {
        crashAtSave = mode == 0 ? k : 0;
        crashAfterTargetCall = mode == 1 ? k : 0;
        int before = crashes.size();
        RotationEngine engine = engine();
        String id;
        try {
          id = engine.start(APP, Optional.empty(), emergency, "tok_test").id();
          engine.runDue(id);
        } catch (Crash e) {
          id = store.rotations().active(APP).map(Rotation::id).orElse(null);
        }
        boolean crashed = crashes.size() > before;
        crashAtSave = 0;
        crashAfterTargetCall = 0;
        if (crashed) {
          kills++;
          assertThat(live().stream().anyMatch(logsIn))
              .as("after %s, some stored version logs in", crashes.get(crashes.size() - 1))
              .isTrue();
          if (id != null) {
            Rotation resumed = engine().runDue(id);
            assertThat(resumed.state().isFinal()).as("resumed %s", resumed).isTrue();
          }
        }
        assertThat(store.rotations().active(APP)).isEmpty();
        assertThat(logsIn.test(current())).as("the current version logs in").isTrue();
        assertThat(stages().stream().filter(s -> s == Stage.CURRENT).count()).isEqualTo(1);
        assertThat(stages()).doesNotContain(Stage.PENDING);
        if (!crashed) {
          break;
        }
      }
    }
    return kills;
  }

  /** Passes calls to the real target; may crash just after one returns. */
  private final class CrashingTarget implements Target {
    @Override
    public RotationRule prepare(RotationRule rule, SecretValue current) {
      return target.prepare(rule, current);
    }

    @Override
    public Plaintext nextValue(
        RotationRule rule, SecretValue current, Plaintext generated, boolean emergency) {
      return target.nextValue(rule, current, generated, emergency);
    }

    @Override
    public void set(TargetContext context) {
      target.set(context);
      maybeCrash("after set");
    }

    @Override
    public void test(TargetContext context) {
      target.test(context);
      maybeCrash("after test");
    }

    @Override
    public boolean canTell(TargetContext context) {
      return target.canTell(context);
    }

    @Override
    public void rollback(TargetContext context) {
      target.rollback(context);
      maybeCrash("after rollback");
    }

    @Override
    public void revoke(RevokeContext context) {
      target.revoke(context);
      maybeCrash("after revoke");
    }

    @Override
    public List<String> setup(RevokeContext context) {
      return target.setup(context);
    }

    private void maybeCrash(String where) {
      if (crashAfterTargetCall > 0 && --crashAfterTargetCall == 0) {
        crashes.add(where);
        throw new Crash(where);
      }
    }
  }
}
