package dev.keyturn.targets;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.Generator;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.SettingChecks;
import dev.keyturn.core.SweepProgress;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import dev.keyturn.keyring.KeyringException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code reencrypt} strategy on a database target: the secret is a Fernet key; the rule names
 * an application's table ({@code table}, {@code id-column}, {@code column}) whose rows hold Fernet
 * tokens, and the admin credential ({@code admin}) that may read and update it. {@code set} sweeps
 * the rows to the pending key ({@link RowSweep}; {@code batch-size} rows a commit, or everything in
 * one transaction with {@code atomic=true}); {@code test} reads every row back and fails, listing
 * ids, on rows no key opens unless {@code skip-undecryptable=true}; the engine's finish sweeps once
 * more and retires the old key only when every row opens under the new one; {@code rollback} sweeps
 * the rows back to the current key. The database is reached where the admin credential points, or
 * where the rule's {@code host}, {@code port}, {@code dbname}, {@code tls} say. Thread-safe.
 */
final class Reencryption {
  static final String TABLE = "table";
  static final String ID_COLUMN = "id-column";
  static final String COLUMN = "column";
  static final String BATCH_SIZE = "batch-size";
  static final String ATOMIC = "atomic";
  static final String SKIP = "skip-undecryptable";

  private final DatabaseTarget target;

  Reencryption(DatabaseTarget target) {
    this.target = target;
  }

  void validate(RotationRule rule, Function<SecretName, SecretValue> secrets) {
    if (rule.generator().kind() != Generator.Kind.FERNET) {
      throw new KeyturnException.InvalidInput(
          "the reencrypt strategy re-encrypts Fernet tokens: use --generate fernet");
    }
    List<String> names =
        new ArrayList<>(
            List.of(
                "admin", TABLE, ID_COLUMN, COLUMN, BATCH_SIZE, ATOMIC, SKIP, "timeout-seconds"));
    names.addAll(Endpoint.PINNED);
    SettingChecks.target(rule)
        .only(names.toArray(String[]::new))
        .secretName("admin")
        .integer(BATCH_SIZE, 1, 100_000)
        .integer("timeout-seconds", 1, 300)
        .bool(ATOMIC)
        .bool(SKIP);
    names(rule.target());
    DatabaseTarget.adminCredential(rule, secrets, target.engine());
    fernetKey(secrets.apply(rule.secret()));
  }

  /** Checks the table and column names (again, from a stored rule, before any SQL is built). */
  static void names(Map<String, String> settings) {
    SqlNames.table(TABLE, required(settings, TABLE));
    SqlNames.column(ID_COLUMN, required(settings, ID_COLUMN));
    SqlNames.column(COLUMN, required(settings, COLUMN));
  }

  private static String required(Map<String, String> settings, String key) {
    String value = settings.get(key);
    if (value == null || value.isBlank()) {
      throw new KeyturnException.InvalidInput(
          "the reencrypt strategy needs '" + key + "' (--" + key + ")");
    }
    return value;
  }

  RotationRule prepare(RotationRule rule, SecretValue current) {
    fernetKey(current);
    DatabaseTarget.adminName(rule);
    names(rule.target());
    Map<String, String> settings = new LinkedHashMap<>(rule.target());
    settings.putIfAbsent(BATCH_SIZE, "10000");
    settings.putIfAbsent(ATOMIC, "false");
    settings.putIfAbsent(SKIP, "false");
    return rule.withTarget(settings);
  }

  /**
   * {@code rule} with the place of its admin credential pinned (host, port, dbname, tls) where the
   * rule does not give it, as database targets pin the place of the credential they rotate: later
   * edits of the admin secret change the login, never where the sweep connects.
   */
  RotationRule pin(RotationRule rule, Function<SecretName, SecretValue> secrets) {
    DatabaseSecret admin = DatabaseTarget.adminCredential(rule, secrets, target.engine());
    return rule.withTarget(Endpoint.pin(new LinkedHashMap<>(rule.target()), admin, target.host));
  }

  /**
   * A plain put may store the key a secret without one starts with; a new key must be rotated
   * (stored directly it would skip the sweep, and rows under the old key would stop opening when it
   * retires).
   */
  void checkWrite(RotationRule rule, Optional<SecretValue> current, Plaintext value) {
    try {
      keyring(List.of(KeyVersion.text(1, KeyStage.CURRENT, value.revealUtf8())));
    } catch (KeyringException e) {
      throw new KeyturnException.InvalidInput(
          rule.secret() + " is rotated with --strategy reencrypt: the value must be a Fernet key");
    }
    if (current.isPresent()
        && !MessageDigest.isEqual(current.get().plaintext().reveal(), value.reveal())) {
      throw new KeyturnException.InvalidInput(
          rule.secret()
              + " is rotated with --strategy reencrypt: a new key must re-encrypt the table too,"
              + " so rotate it: keyturn rotate "
              + rule.secret());
    }
  }

  /** Sweeps the rows to the pending key ({@code set}; the engine's final sweep at finish too). */
  void set(TargetContext context) {
    String phase = context.rotation().state() == RotationState.FINISH ? "finish" : "set";
    sweep(context, phase, context.pending(), context.current());
  }

  /** Sweeps the rows back to the current key. */
  void rollback(TargetContext context) {
    if (context.current().isEmpty()) {
      return;
    }
    sweep(context, "rollback", context.current().get(), Optional.of(context.pending()));
  }

  /**
   * Reads every row back. Fails on rows no key opens (unless the rule skips them) and, at finish,
   * on rows still under the old key.
   */
  void test(TargetContext context) {
    Map<String, String> s = context.rule().target();
    boolean skip = Boolean.parseBoolean(s.get(SKIP));
    boolean finishing = context.rotation().state() == RotationState.FINISH;
    FernetKeyring keys = keys(context.pending(), context.current());
    int to = context.pending().version().number();
    Set<String> unreadable = new LinkedHashSet<>();
    Set<String> old = new LinkedHashSet<>();
    withTable(
        context.rule(),
        context.secrets(),
        context.outbound(),
        table -> {
          table.connection.setAutoCommit(true);
          table.inspect();
          Optional<String> after = Optional.empty();
          while (true) {
            List<SweepTable.Row> page = table.rows(after, Optional.empty(), batch(s));
            if (page.isEmpty()) {
              return null;
            }
            List<Integer> versions = page.parallelStream().map(r -> versionOf(keys, r)).toList();
            for (int i = 0; i < page.size(); i++) {
              if (versions.get(i) < 0) {
                unreadable.add(page.get(i).id());
              } else if (versions.get(i) != to) {
                old.add(page.get(i).id());
              }
            }
            after = Optional.of(page.get(page.size() - 1).id());
          }
        });
    if (!unreadable.isEmpty() && !skip) {
      throw KeyturnException.TargetFailure.permanent(
          Rows.describe(unreadable)
              + " of the table hold a token no key of "
              + context.rule().secret()
              + " opens (set skip-undecryptable to leave them)");
    }
    if (finishing && !old.isEmpty()) {
      throw new KeyturnException.TargetFailure(
          Rows.describe(old) + " of the table are still under the old key");
    }
  }

  private static int versionOf(FernetKeyring keys, SweepTable.Row row) {
    if (row.token().isEmpty()) {
      return -1;
    }
    try {
      return keys.versionOf(row.token().get()).version();
    } catch (KeyringException.InvalidToken e) {
      return -1;
    }
  }

  /** Checks the table's shape and the admin's privileges; changes nothing. */
  List<String> setup(Target.RevokeContext context) {
    List<String> done = new ArrayList<>();
    withTable(
        context.rule(),
        context.secrets(),
        context.outbound(),
        table -> {
          done.addAll(table.inspect());
          done.addAll(table.privileges());
          return null;
        });
    return done;
  }

  private void sweep(
      TargetContext context, String phase, SecretValue to, Optional<SecretValue> from) {
    Map<String, String> s = context.rule().target();
    FernetKeyring keys = keys(to, from);
    Optional<SweepProgress> before = context.rotation().progress();
    withTables(
        context.rule(),
        context.secrets(),
        context.outbound(),
        true,
        (reader, table) ->
            new RowSweep(
                    reader,
                    table,
                    keys,
                    batch(s),
                    Boolean.parseBoolean(s.get(ATOMIC)),
                    // A rollback leaves rows no key opens as they are: they stop nothing going
                    // back.
                    phase.equals("rollback") || Boolean.parseBoolean(s.get(SKIP)),
                    context.progress())
                .run(phase, to.version().number(), before));
  }

  private static int batch(Map<String, String> settings) {
    try {
      return Integer.parseInt(settings.getOrDefault(BATCH_SIZE, "10000"));
    } catch (NumberFormatException e) {
      throw new KeyturnException.InvalidInput("batch-size must be a number from 1 to 100000");
    }
  }

  /** A keyring whose current key is {@code to}'s, the other one opening the rest. */
  private static FernetKeyring keys(SecretValue to, Optional<SecretValue> from) {
    List<KeyVersion> versions = new ArrayList<>();
    versions.add(KeyVersion.text(to.version().number(), KeyStage.CURRENT, fernetKey(to)));
    from.filter(f -> f.version().number() != to.version().number())
        .ifPresent(f ->
            versions.add(KeyVersion.text(f.version().number(), KeyStage.PREVIOUS, fernetKey(f))));
    return keyring(versions);
  }

  private static FernetKeyring keyring(List<KeyVersion> versions) {
    return FernetKeyring.of("reencrypt", versions);
  }

  private static String fernetKey(SecretValue value) {
    String key = value.plaintext().revealUtf8();
    try {
      keyring(List.of(KeyVersion.text(1, KeyStage.CURRENT, key)));
    } catch (KeyringException e) {
      throw new KeyturnException.InvalidInput(
          value.name() + "#" + value.version().number() + " is not a Fernet key");
    }
    return key;
  }

  /** What runs on the table, on a connection of the rule's admin credential. */
  interface TableWork<T> {
    T run(SweepTable table) throws SQLException;
  }

  /** What runs on the table on two connections: one reads ahead, the other writes. */
  interface SweepWork<T> {
    T run(SweepTable reader, SweepTable writer) throws SQLException;
  }

  private <T> T withTable(
      RotationRule rule,
      Function<SecretName, SecretValue> secrets,
      dev.keyturn.core.Outbound outbound,
      TableWork<T> work) {
    return withTables(rule, secrets, outbound, false, (reader, writer) -> work.run(writer));
  }

  /** {@code work} on one connection of the rule's admin credential, or on two ({@code two}). */
  private <T> T withTables(
      RotationRule rule,
      Function<SecretName, SecretValue> secrets,
      dev.keyturn.core.Outbound outbound,
      boolean two,
      SweepWork<T> work) {
    names(rule.target());
    DatabaseSecret admin = DatabaseTarget.adminCredential(rule, secrets, target.engine());
    Map<String, String> pinned =
        Endpoint.pin(new LinkedHashMap<>(rule.target()), admin, target.host);
    Endpoint where = Endpoint.of(rule.withTarget(pinned), outbound, target.host);
    DatabaseSecret login = where.apply(admin);
    int timeout = DatabaseTarget.timeout(rule.target());
    Map<String, String> s = rule.target();
    try (Connection c = target.connect(where, login, where.dbname(), timeout);
        Connection r = two ? target.connect(where, login, where.dbname(), timeout) : null) {
      SweepTable writer = target.sweepTable(c, s.get(TABLE), s.get(ID_COLUMN), s.get(COLUMN));
      SweepTable reader =
          r == null ? writer : target.sweepTable(r, s.get(TABLE), s.get(ID_COLUMN), s.get(COLUMN));
      return work.run(reader, writer);
    } catch (SQLException e) {
      if (target.refused(e)) {
        throw KeyturnException.TargetFailure.permanent(
            "the admin credential does not log in to " + DatabaseTarget.where(login));
      }
      if (target.methodRefused(e)) {
        throw DatabaseTarget.methodRefused(login);
      }
      throw target.failed(login, "re-encrypt the table", e);
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw target.failed(login, "count the table's rows", sql);
      }
      throw e;
    }
  }
}
