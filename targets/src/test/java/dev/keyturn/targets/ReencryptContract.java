package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Stage;
import dev.keyturn.core.SweepProgress;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The {@code reencrypt} strategy against a real database: every engine gets the same tests. Rows
 * hold Fernet tokens of canary plaintexts; after every crash and at the end, every row must open to
 * its plaintext under a key the keyring lists, and no canary, token or key may appear in an error,
 * a rotation record or the audit log.
 */
abstract class ReencryptContract {
  static final String TABLE = "api_credentials";

  ReencryptHarness h;

  /** id to the plaintext the row must hold. */
  final Map<Long, String> plain = new ConcurrentHashMap<>();

  /** A superuser connection to the application's database. */
  abstract Connection app() throws SQLException;

  /** Makes a login that may only SELECT the table; returns it as an admin credential's JSON. */
  abstract void selectOnlyAdmin() throws SQLException;

  /** The column type of a binary token column. */
  abstract String binaryType();

  /** Whether the token column holds bytes. */
  boolean binary;

  void createTable(String tokenType) throws SQLException {
    binary = !tokenType.equals("text");
    sql("CREATE TABLE " + TABLE + " (id bigint PRIMARY KEY, token " + tokenType + " NOT NULL)");
  }

  void sql(String statement) throws SQLException {
    try (Connection c = app();
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  /** Fills the table with {@code n} rows under the secret's current key. */
  void fill(int n) throws SQLException {
    FernetKeyring keys = h.keyring();
    try (Connection c = app();
        PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " VALUES (?, ?)")) {
      c.setAutoCommit(false);
      for (long id = 1; id <= n; id++) {
        String p = "CANARY-credential-" + id + "-" + Long.toHexString(h.random.nextLong());
        plain.put(id, p);
        ps.setLong(1, id);
        String token = keys.encrypt(p.getBytes(StandardCharsets.UTF_8));
        if (binary) {
          ps.setBytes(2, token.getBytes(StandardCharsets.US_ASCII));
        } else {
          ps.setString(2, token);
        }
        ps.addBatch();
      }
      ps.executeBatch();
      c.commit();
    }
  }

  TreeMap<Long, String> tokens() throws SQLException {
    TreeMap<Long, String> out = new TreeMap<>();
    try (Connection c = app();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, token FROM " + TABLE)) {
      while (rs.next()) {
        out.put(rs.getLong(1), new String(rs.getBytes(2), StandardCharsets.US_ASCII));
      }
    }
    return out;
  }

  /** Every row opens, under {@code keys}, to its plaintext; none is lost. */
  void assertEveryRowOpens(FernetKeyring keys) throws SQLException {
    TreeMap<Long, String> tokens = tokens();
    assertThat(tokens.keySet()).isEqualTo(new java.util.TreeSet<>(plain.keySet()));
    for (Map.Entry<Long, String> row : tokens.entrySet()) {
      assertThat(new String(keys.decrypt(row.getValue()), StandardCharsets.UTF_8))
          .as("row %d", row.getKey())
          .isEqualTo(plain.get(row.getKey()));
    }
  }

  /** A keyring of version {@code n}'s key alone. */
  FernetKeyring only(int n) {
    return FernetKeyring.of("only", List.of(KeyVersion.text(n, KeyStage.CURRENT, h.key(n))));
  }

  Map<String, String> settings(String... more) {
    Map<String, String> s = new java.util.HashMap<>();
    s.put("table", TABLE);
    s.put("id-column", "id");
    s.put("column", "token");
    s.put("batch-size", "100");
    for (int i = 0; i < more.length; i += 2) {
      s.put(more[i], more[i + 1]);
    }
    return s;
  }

  /** Runs the rotation until it ends, advancing the clock over its waits. */
  Rotation runToEnd(String id) {
    Rotation r = h.engine().runDue(id);
    for (int i = 0; i < 20 && !r.state().isFinal(); i++) {
      h.clock.advance(Duration.ofMinutes(5));
      r = h.engine().runDue(id);
    }
    return r;
  }

  /** No canary plaintext, token or key in the audit log or the rotation record. */
  void assertNothingLeaked(Rotation rotation, TreeMap<Long, String> before) throws SQLException {
    StringBuilder seen = new StringBuilder(rotation.toString());
    h.audit.records().forEach(r -> seen.append(r.event()).append('\n'));
    String text = seen.toString();
    assertThat(text).doesNotContain("CANARY");
    for (String token : before.values()) {
      assertThat(text).doesNotContain(token);
    }
    for (String token : tokens().values()) {
      assertThat(text).doesNotContain(token);
    }
    for (KeyVersion v : h.live()) {
      assertThat(text).doesNotContain(v.reveal());
    }
  }

  @Test
  void rotate_batched_everyRowUnderTheNewKeyAndTheOldRetired() throws Exception {
    createTable("text");
    fill(1050);
    h.rule(settings());
    TreeMap<Long, String> before = tokens();
    List<SweepProgress> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    h.onBatch = seen::add;

    Rotation done = h.rotate();

    assertThat(done.state()).as("%s", done).isEqualTo(RotationState.FINISHED);
    int now = h.current().version().number();
    assertThat(now).isEqualTo(2);
    assertThat(h.stages()).containsExactly(Stage.RETIRED, Stage.CURRENT);
    assertEveryRowOpens(only(2));
    SweepProgress progress = h.rotation(done.id()).progress().orElseThrow();
    assertThat(progress.phase()).isEqualTo("finish");
    assertThat(progress.total()).isEqualTo(1050);
    assertThat(progress.done()).isEqualTo(1050);
    assertThat(progress.failed()).isZero();
    List<SweepProgress> set = seen.stream().filter(p -> p.phase().equals("set")).toList();
    assertThat(set)
        .as("one report a batch of 100, in id order, then the end")
        .extracting(p -> p.after().map(Long::parseLong).orElse(0L))
        .containsExactly(100L, 200L, 300L, 400L, 500L, 600L, 700L, 800L, 900L, 1000L, 1050L, 1050L);
    assertThat(set).extracting(SweepProgress::done).last().isEqualTo(1050L);
    assertNothingLeaked(done, before);
  }

  @Test
  void rotate_batchOfSeveralPages_committedAndReportedWhole_resumedAfterACrash() throws Exception {
    // 4500 rows a batch: three pages of 1500 (RowSweep.PAGE is 2000), one commit and one report.
    createTable("text");
    fill(10_000);
    h.rule(settings("batch-size", "4500"));
    List<SweepProgress> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    h.onBatch = seen::add;
    String id = h.start().id();
    h.crashAfterBatches = 2;
    assertThatThrownBy(() -> runToEnd(id)).isInstanceOf(ReencryptHarness.Crash.class);
    assertEveryRowOpens(h.keyring());
    assertThat(h.rotation(id).progress().orElseThrow().after()).contains("9000");
    h.crashAfterBatches = 0;

    Rotation done = runToEnd(id);

    assertThat(done.state()).as("%s", done).isEqualTo(RotationState.FINISHED);
    assertEveryRowOpens(only(2));
    List<SweepProgress> set = seen.stream().filter(p -> p.phase().equals("set")).toList();
    assertThat(set)
        .as("one report a batch of 4500, resumed after the second, then the end")
        .extracting(p -> p.after().map(Long::parseLong).orElse(0L))
        .containsExactly(4500L, 9000L, 10_000L);
    assertThat(set).extracting(SweepProgress::done).containsExactly(4500L, 9000L, 10_000L);
  }

  @Test
  void rotate_binaryColumn_everyRowUnderTheNewKey() throws Exception {
    createTable(binaryType());
    fill(250);
    h.rule(settings());

    Rotation done = h.rotate();

    assertThat(done.state()).as("%s", done).isEqualTo(RotationState.FINISHED);
    assertEveryRowOpens(only(2));
  }

  @Test
  void crashesAtRandomBatches_resumedByFreshEngines_everyRowUnderTheNewKeyNoneLost()
      throws Exception {
    createTable("text");
    fill(2000);
    h.rule(settings());
    Random random = new Random();
    String id = h.start().id();
    int crashes = 0;
    while (true) {
      h.crashAfterBatches = 1 + random.nextInt(6);
      h.early = random.nextBoolean();
      Optional<SweepProgress> saved = h.rotation(id).progress();
      AtomicReference<SweepProgress> first = new AtomicReference<>();
      h.onBatch = p -> first.compareAndSet(null, p);
      Rotation r;
      try {
        r = h.engine().runDue(id);
      } catch (ReencryptHarness.Crash e) {
        crashes++;
        // Between two keys every row still opens: the keyring lists both.
        assertEveryRowOpens(h.keyring());
        if (saved.isPresent() && first.get() != null && saved.get().resumes("set", 2)) {
          // A resumed sweep continues after the last saved batch: its next batch adds to it.
          assertThat(first.get().done()).isGreaterThanOrEqualTo(saved.get().done());
          if (!first.get().finished()) {
            assertThat(Long.parseLong(first.get().after().orElseThrow()))
                .isEqualTo(Long.parseLong(saved.get().after().orElseThrow()) + 100);
          }
        }
        continue;
      }
      h.crashAfterBatches = 0;
      r = runToEnd(id);
      assertThat(r.state()).as("%s", r).isEqualTo(RotationState.FINISHED);
      break;
    }

    assertThat(crashes).isGreaterThanOrEqualTo(3);
    assertThat(h.stages()).containsExactly(Stage.RETIRED, Stage.CURRENT);
    assertEveryRowOpens(only(2));
  }

  @Test
  void atomic_plantedUndecryptableRow_everyRowAsItWas() throws Exception {
    createTable("text");
    fill(700);
    String planted =
        FernetKeyring.of(
                "other",
                List.of(
                    KeyVersion.text(
                        1,
                        KeyStage.CURRENT,
                        FernetKeyring.generateKey(new java.security.SecureRandom()))))
            .encrypt("CANARY-planted".getBytes(StandardCharsets.UTF_8));
    sql("UPDATE " + TABLE + " SET token = '" + planted + "' WHERE id = 650");
    h.rule(settings("atomic", "true"));
    TreeMap<Long, String> before = tokens();

    Rotation done = h.rotate();

    assertThat(done.state()).isEqualTo(RotationState.FAILED);
    assertThat(done.reason().orElseThrow()).contains("id 650").doesNotContain(planted);
    assertThat(tokens()).isEqualTo(before);
    assertThat(h.current().version().number()).isEqualTo(1);
    assertThat(h.stages()).as("%s", done).containsExactly(Stage.CURRENT, Stage.RETIRED);
    assertNothingLeaked(done, before);
  }

  @Test
  void batched_undecryptableRow_testFailsNamingIt_andRollbackSweepsBack() throws Exception {
    createTable("text");
    fill(300);
    sql("UPDATE " + TABLE + " SET token = 'not-a-fernet-token' WHERE id = 17");
    plain.remove(17L);
    h.rule(settings());

    Rotation done = h.rotate();

    assertThat(done.state()).isEqualTo(RotationState.FAILED);
    assertThat(done.reason().orElseThrow()).contains("1 row (id 17)");
    assertThat(h.current().version().number()).isEqualTo(1);
    sql("DELETE FROM " + TABLE + " WHERE id = 17");
    assertEveryRowOpens(only(1));
  }

  @Test
  void skipUndecryptable_finishes_andLeavesThatRowAsItWas() throws Exception {
    createTable("text");
    fill(300);
    sql("UPDATE " + TABLE + " SET token = 'not-a-fernet-token' WHERE id = 17");
    plain.remove(17L);
    h.rule(settings("skip-undecryptable", "true"));

    Rotation done = h.rotate();

    assertThat(done.state()).as("%s", done).isEqualTo(RotationState.FINISHED);
    assertThat(h.rotation(done.id()).progress().orElseThrow().skipped()).isEqualTo(1);
    assertThat(tokens().get(17L)).isEqualTo("not-a-fernet-token");
    sql("DELETE FROM " + TABLE + " WHERE id = 17");
    assertEveryRowOpens(only(2));
  }

  @Test
  void applicationWritesThroughout_noWriteIsLost() throws Exception {
    createTable("text");
    fill(1500);
    h.rule(settings());
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger writes = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer =
        new Thread(() -> {
          Random random = new Random();
          try (Connection c = app();
              PreparedStatement ps =
                  c.prepareStatement("UPDATE " + TABLE + " SET token = ? WHERE id = ?")) {
            while (!stop.get()) {
              long id = 1 + random.nextInt(1500);
              String p = "CANARY-write-" + writes.incrementAndGet();
              // The application encrypts with the current key of the keyring it reads.
              ps.setString(1, h.keyring().encrypt(p.getBytes(StandardCharsets.UTF_8)));
              ps.setLong(2, id);
              ps.executeUpdate();
              plain.put(id, p);
            }
          } catch (Throwable t) {
            failure.set(t);
          }
        });
    writer.start();
    String id = h.start().id();
    AtomicInteger batches = new AtomicInteger();
    h.onBatch =
        p -> {
          if (batches.incrementAndGet() == 12) {
            stop.set(true);
          }
        };

    Rotation first = h.engine().runDue(id);
    stop.set(true);
    writer.join(TimeUnit.SECONDS.toMillis(30));
    Rotation done = first.state().isFinal() ? first : runToEnd(id);

    assertThat(failure.get()).isNull();
    assertThat(writes.get()).isGreaterThan(0);
    assertThat(done.state()).as("%s", done).isEqualTo(RotationState.FINISHED);
    assertEveryRowOpens(only(2));
  }

  @Test
  void pythonMultiFernet_fromTheKeyring_opensEveryRowAtEveryBatch() throws Exception {
    createTable("text");
    fill(800);
    h.rule(settings());
    List<String> failures = new ArrayList<>();
    AtomicInteger samples = new AtomicInteger();
    h.onBatch =
        p -> {
          try {
            samples.incrementAndGet();
            String out = python(h.live(), tokens());
            if (!out.equals("ok " + plain.size())) {
              failures.add(out);
            }
          } catch (Exception e) {
            failures.add(e.toString());
          }
        };

    Rotation done = h.rotate();

    assertThat(done.state()).isEqualTo(RotationState.FINISHED);
    assertThat(samples.get()).isGreaterThanOrEqualTo(8);
    assertThat(failures).isEmpty();
    assertThat(python(h.live(), tokens())).isEqualTo("ok " + plain.size());
  }

  /** What Python's MultiFernet over {@code keys} (keyring order) says of every row. */
  String python(List<KeyVersion> keys, TreeMap<Long, String> tokens)
      throws IOException, InterruptedException {
    return dev.keyturn.testing.PythonMultiFernet.check(
        keys.stream().map(KeyVersion::reveal).toList(), tokens, plain);
  }

  @Test
  void rule_hostileIdentifiers_refusedNamingTheSetting() throws Exception {
    createTable("text");
    List<String> hostile =
        List.of(
            "api_credentials; DROP TABLE api_credentials",
            "api\"credentials",
            "api`credentials",
            "api'credentials",
            "api_credentials--",
            "api_credentials\r\nx",
            "..",
            "a..b",
            "a.b.c",
            " api_credentials",
            "1api",
            "",
            "ä");
    for (String key : List.of("table", "id-column", "column")) {
      for (String value : hostile) {
        assertThatThrownBy(() -> h.rule(settings(key, value)))
            .as("%s = %s", key, value)
            .isInstanceOf(KeyturnException.InvalidInput.class)
            .hasMessageContaining(key);
      }
    }
    assertThat(h.store.rotations().rule(ReencryptHarness.KEY)).isEmpty();
  }

  @Test
  void storedRuleWithHostileIdentifier_failsBeforeAnySql_tableIntact() throws Exception {
    createTable("text");
    fill(10);
    TreeMap<Long, String> before = tokens();
    h.rule(settings());
    h.store
        .rotations()
        .putRule(
            h.unchecked(settings("table", "api_credentials; DROP TABLE api_credentials")),
            Optional.empty());

    Rotation done = h.rotate();

    assertThat(done.state()).isEqualTo(RotationState.FAILED);
    assertThat(done.reason().orElseThrow()).contains("table").doesNotContain("DROP");
    assertThat(tokens()).isEqualTo(before);
  }

  @Test
  void adminCredentialMovedAfterTheRuleIsSet_sweepStaysWhereTheRulePinnedIt() throws Exception {
    createTable("text");
    fill(120);
    dev.keyturn.core.DatabaseSecret admin = h.admin();
    dev.keyturn.core.RotationRule rule = h.rule(settings());
    assertThat(rule.target())
        .containsEntry("host", admin.host())
        .containsEntry("port", Integer.toString(admin.port()))
        .containsEntry("dbname", admin.dbname());
    int nobody;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      nobody = s.getLocalPort();
    }
    h.putAdmin(admin.at("127.0.0.1", nobody, "elsewhere"));

    Rotation done = h.rotate();

    assertThat(done.state()).as("%s", done).isEqualTo(RotationState.FINISHED);
    assertEveryRowOpens(only(2));
  }

  @Test
  void rule_otherGeneratorOrTarget_refused() {
    Map<String, String> s = settings();
    s.put("admin", ReencryptHarness.ADMIN.value());
    dev.keyturn.core.RotationRule fernet = h.unchecked(s);
    dev.keyturn.core.RotationRule hex =
        fernet.toBuilder().generator(dev.keyturn.core.Generator.parse("hex:32")).build();
    dev.keyturn.core.RotationRule none = fernet.toBuilder().targetType("none").build();

    assertThatThrownBy(() -> h.engine().validate(hex))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("--generate fernet");
    assertThatThrownBy(() -> h.engine().validate(none))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("database target");
  }

  @Test
  void put_newKeyUnderTheRule_refused_sameKeyAccepted() throws Exception {
    createTable("text");
    h.rule(settings());
    String other = FernetKeyring.generateKey(new java.security.SecureRandom());

    assertThatThrownBy(() ->
            h.engine()
                .checkWrite(
                    ReencryptHarness.KEY, Plaintext.wrap(other.getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("rotate it")
        .hasMessageNotContaining(other);
    h.engine()
        .checkWrite(
            ReencryptHarness.KEY, Plaintext.wrap(h.key(1).getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void setup_checksKeyColumnTypeAndPrivileges() throws Exception {
    createTable("text");
    h.rule(settings());

    List<String> done = h.engine().setup(ReencryptHarness.KEY);

    assertThat(done)
        .anyMatch(l -> l.contains("id-column is the primary key"))
        .anyMatch(l -> l.contains("column holds text"))
        .anyMatch(l -> l.contains("may SELECT and UPDATE"));
  }

  @Test
  void setup_idNotUnique_namesIdColumn() throws Exception {
    sql("CREATE TABLE " + TABLE + " (id bigint, token text NOT NULL)");
    h.rule(settings());

    assertThatThrownBy(() -> h.engine().setup(ReencryptHarness.KEY))
        .isInstanceOf(KeyturnException.TargetFailure.class)
        .hasMessageContaining("id-column");
  }

  @Test
  void setup_columnNotText_namesColumn() throws Exception {
    sql("CREATE TABLE " + TABLE + " (id bigint PRIMARY KEY, token integer NOT NULL)");
    h.rule(settings());

    assertThatThrownBy(() -> h.engine().setup(ReencryptHarness.KEY))
        .isInstanceOf(KeyturnException.TargetFailure.class)
        .hasMessageContaining("column must hold text or bytes");
  }

  @Test
  void setup_adminWithoutUpdate_namesUpdate() throws Exception {
    createTable("text");
    h.rule(settings());
    selectOnlyAdmin();

    assertThatThrownBy(() -> h.engine().setup(ReencryptHarness.KEY))
        .isInstanceOf(KeyturnException.TargetFailure.class)
        .hasMessageContaining("may not UPDATE");
  }
}
