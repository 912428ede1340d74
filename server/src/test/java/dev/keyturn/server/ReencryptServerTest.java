package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.KeyringEntry;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import dev.keyturn.testing.PythonMultiFernet;
import dev.keyturn.testing.ScratchPostgres;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reencrypt strategy through the HTTP API of a real server, on a throw-away PostgreSQL cluster
 * that demands SCRAM passwords: the rule's checks and authorization, the rotation's progress, a
 * Python {@code MultiFernet} built from the keyring API decrypting every row, and a server child
 * process killed with SIGKILL in the middle of its sweep, again and again.
 */
class ReencryptServerTest {
  private static final Pattern LISTENING =
      Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
  private static final String KEY = "leather-api/production/CREDENTIAL_ENCRYPTION_KEY";
  private static final String ADMIN = "leather-api/production/DATABASE_ADMIN";
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static ScratchPostgres pg;

  @TempDir Path dir;
  private String database;
  private final Map<Long, String> plain = new HashMap<>();

  @BeforeAll
  static void startCluster() {
    pg = ScratchPostgres.start();
  }

  @AfterAll
  static void stopCluster() {
    if (pg != null) {
      pg.close();
    }
  }

  @BeforeEach
  void createDatabase() throws SQLException {
    database = "reencrypt_api" + NEXT.incrementAndGet();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"));
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + database);
    }
    sql("CREATE TABLE api_credentials (id bigint PRIMARY KEY, token text NOT NULL)");
  }

  private void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database));
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private void setUp(WireClient root, int rows, int batch) throws Exception {
    putSecrets(root);
    FernetKeyring keys = keyring(root);
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database));
        PreparedStatement ps = c.prepareStatement("INSERT INTO api_credentials VALUES (?, ?)")) {
      c.setAutoCommit(false);
      for (long id = 1; id <= rows; id++) {
        String p = "CANARY-api-credential-" + id;
        plain.put(id, p);
        ps.setLong(1, id);
        ps.setString(2, keys.encrypt(p.getBytes(StandardCharsets.UTF_8)));
        ps.addBatch();
      }
      ps.executeBatch();
      c.commit();
    }
    root.putRule(KEY, rule(Map.of("batch-size", Integer.toString(batch))));
  }

  private void putSecrets(WireClient root) throws Exception {
    root.put(KEY, new PutSecretRequest(null, null, "fernet", null, null));
    root.put(
        ADMIN,
        new PutSecretRequest(
            null,
            WireJson.mapper()
                .readTree(
                    "{\"engine\":\"postgres\",\"host\":\"127.0.0.1\",\"port\":"
                        + pg.port()
                        + ",\"dbname\":\""
                        + database
                        + "\",\"username\":\"postgres\",\"password\":\""
                        + pg.superPassword()
                        + "\",\"sslmode\":\"disable\"}"),
            null,
            null,
            null));
  }

  private static RuleBody rule(Map<String, String> settings) {
    Map<String, String> target = new HashMap<>();
    target.put("type", "postgresql");
    target.put("admin", ADMIN);
    target.put("table", "api_credentials");
    target.put("id-column", "id");
    target.put("column", "token");
    target.putAll(settings);
    return new RuleBody(
        "fernet",
        null,
        null,
        null,
        "reencrypt",
        null,
        target,
        "dba",
        null,
        null,
        20,
        "1s",
        null,
        null,
        null);
  }

  private static List<String> keys(WireClient client) {
    return client.keyring(KEY).versions().stream()
        .map(KeyringEntry::value)
        .map(v -> v.stringValue())
        .toList();
  }

  private static FernetKeyring keyring(WireClient client) {
    List<KeyVersion> versions = new ArrayList<>();
    for (KeyringEntry e : client.keyring(KEY).versions()) {
      versions.add(KeyVersion.text(e.version(), KeyStage.of(e.stage()), e.value().stringValue()));
    }
    return FernetKeyring.of(KEY, versions);
  }

  private TreeMap<Long, String> tokens() throws SQLException {
    TreeMap<Long, String> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, token FROM api_credentials")) {
      while (rs.next()) {
        out.put(rs.getLong(1), rs.getString(2));
      }
    }
    return out;
  }

  @Test
  void api_ruleRotationProgressAndAuthorization() throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      WireClient root = server.client();
      setUp(root, 1200, 100);
      WireClient rotator = server.client(server.token("rotate:" + KEY));
      WireClient elsewhere = server.client(server.token("rotate:other/*", "admin:other/*"));
      TreeMap<Long, String> before = tokens();

      assertThat(root.setupTarget(KEY).actions())
          .anyMatch(l -> l.contains("primary key"))
          .anyMatch(l -> l.contains("may SELECT and UPDATE"));
      assertThatThrownBy(() -> elsewhere.rotate(KEY, new RotateRequest(null, null)))
          .isInstanceOfSatisfying(
              KeyturnClientException.class, e -> assertThat(e.status()).isEqualTo(403));
      RotationInfo done = rotator.rotate(KEY, new RotateRequest(null, null));
      for (int i = 0; i < 600 && !List.of("finished", "failed").contains(done.state()); i++) {
        Thread.sleep(100);
        done = rotator.rotation(done.id());
      }
      String id = done.id();

      assertThat(done.state()).as("%s", done).isEqualTo("finished");
      assertThat(done.progress().rowsTotal()).isEqualTo(1200);
      assertThat(done.progress().rowsDone()).isEqualTo(1200);
      assertThat(done.progress().rowsFailed()).isZero();
      assertThatThrownBy(() -> elsewhere.rotation(id))
          .isInstanceOfSatisfying(
              KeyturnClientException.class, e -> assertThat(e.status()).isEqualTo(403));
      assertThat(keys(root)).hasSize(1);
      assertThat(PythonMultiFernet.check(keys(root), tokens(), plain)).isEqualTo("ok 1200");
      String raw = server.raw("GET", "/v1/rotations/" + id, server.rootToken(), null).body();
      assertThat(raw)
          .contains(
              "\"progress\":{\"rows_total\":1200,\"rows_done\":1200,\"rows_skipped\":0,"
                  + "\"rows_failed\":0}");
      String audit =
          root.audit(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(10_000))
              .records()
              .toString();
      assertThat(audit).doesNotContain("CANARY");
      for (String token : before.values()) {
        assertThat(audit + done).doesNotContain(token);
      }
    }
  }

  @Test
  void api_hostileIdentifiers_400AndNoRuleStored() throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      WireClient root = server.client();
      putSecrets(root);
      for (String key : List.of("table", "id-column", "column")) {
        for (String hostile :
            List.of(
                "api_credentials; DROP TABLE api_credentials",
                "x\"y",
                "x`y",
                "x'y",
                "a\r\nb",
                "..",
                "a.b.c",
                "x--")) {
          assertThatThrownBy(() -> root.putRule(KEY, rule(Map.of(key, hostile))))
              .as("%s = %s", key, hostile)
              .isInstanceOfSatisfying(
                  KeyturnClientException.class,
                  e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).contains(key).doesNotContain("DROP");
                  });
        }
      }
      assertThatThrownBy(() -> root.rule(KEY))
          .isInstanceOfSatisfying(
              KeyturnClientException.class, e -> assertThat(e.status()).isEqualTo(404));
      assertThat(tokens()).isEmpty();
    }
  }

  @Test
  void sigkillDuringTheSweep_restartedServerResumes_everyRowOpensAndPythonAgreesThroughout()
      throws Exception {
    Path data = dir.resolve("data");
    Server server = Server.start(data);
    setUp(server.client(), 30_000, 250);
    TreeMap<Long, String> before = tokens();
    StringBuilder logs = new StringBuilder();
    AtomicBoolean sampling = new AtomicBoolean(true);
    List<String> samples = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicInteger port = new AtomicInteger(server.port());
    Thread sampler =
        Thread.ofPlatform()
            .start(() -> {
              while (sampling.get()) {
                try {
                  // The keyring first: what an application holds when it reads the rows.
                  List<String> keys = keys(Server.client(data, port.get()));
                  samples.add(PythonMultiFernet.check(keys, tokens(), plain));
                  Thread.sleep(100);
                } catch (RuntimeException | SQLException | IOException e) {
                  // the server is down between a kill and its restart
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    WireClient c = server.client();
    Thread request = startRotation(c);
    String id = waitForProgress(c, null, 0);
    int kills = 0;
    for (int round = 0; round < 3; round++) {
      RotationInfo now = c.rotation(id);
      if (List.of("finished", "failed").contains(now.state())) {
        break;
      }
      long done = now.progress() == null ? 0 : now.progress().rowsDone();
      waitForProgress(c, id, done);
      Thread.sleep(ThreadLocalRandom.current().nextInt(0, 300));
      server.kill();
      kills++;
      logs.append(server.log());
      request.join();
      server = Server.start(data);
      port.set(server.port());
      c = server.client();
      // The keyring first, then the rows: the resumed sweep may be moving them meanwhile.
      List<String> keys = keys(c);
      assertThat(PythonMultiFernet.check(keys, tokens(), plain))
          .as("after kill %d every row opens", kills)
          .isEqualTo("ok 30000");
      request = Thread.ofVirtual().start(() -> {});
    }
    RotationInfo last = c.rotation(id);
    for (int i = 0; i < 1200 && !List.of("finished", "failed").contains(last.state()); i++) {
      Thread.sleep(100);
      last = c.rotation(id);
    }
    sampling.set(false);
    sampler.join();

    assertThat(kills).isGreaterThanOrEqualTo(1);
    assertThat(last.state()).as("%s", last).isEqualTo("finished");
    List<String> finalKeys = keys(c);
    assertThat(finalKeys).hasSize(1);
    FernetKeyring only = keyring(c);
    TreeMap<Long, String> rows = tokens();
    assertThat(rows).hasSize(30_000);
    for (Map.Entry<Long, String> row : rows.entrySet()) {
      assertThat(new String(only.decrypt(row.getValue()), StandardCharsets.UTF_8))
          .isEqualTo(plain.get(row.getKey()));
    }
    assertThat(samples).isNotEmpty().allMatch(s -> s.equals("ok 30000"));
    server.kill();
    logs.append(server.log());
    String log = logs.toString();
    assertThat(log).contains("ended finished").doesNotContain("CANARY");
    for (String token : before.values()) {
      assertThat(log).doesNotContain(token);
    }
    for (String token : rows.values()) {
      assertThat(log).doesNotContain(token);
    }
    assertThat(log).doesNotContain(finalKeys.get(0));
  }

  private static Thread startRotation(WireClient c) {
    return Thread.ofVirtual()
        .start(() -> {
          try {
            c.rotate(KEY, new RotateRequest(null, null));
          } catch (RuntimeException e) {
            // the server was killed under the request
          }
        });
  }

  /** Waits until the secret's rotation has saved progress past {@code done} rows; its id. */
  private static String waitForProgress(WireClient c, String id, long done)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      List<RotationInfo> all = c.rotations(KEY).rotations();
      if (!all.isEmpty()) {
        RotationInfo r = all.get(0);
        if ((id == null || r.id().equals(id))
            && (r.progress() != null && r.progress().rowsDone() > done
                || List.of("finished", "failed").contains(r.state()))) {
          return r.id();
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no sweep progress within 120 s");
  }

  /** A Keyturn server in a child JVM, on the test's classpath (as in CrashTest). */
  private record Server(Process process, int port, Path data, StringBuffer log) {
    static Server start(Path data) throws IOException, InterruptedException {
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      List<String> command =
          List.of(
              java.toString(),
              "-cp",
              System.getProperty("java.class.path"),
              "dev.keyturn.server.Main",
              "--data",
              data.toString(),
              "--listen",
              "127.0.0.1:0");
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      StringBuffer seen = new StringBuffer();
      String line;
      while ((line = out.readLine()) != null) {
        seen.append(line).append('\n');
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          Thread.ofVirtual()
              .start(() -> {
                try {
                  String more;
                  while ((more = out.readLine()) != null) {
                    seen.append(more).append('\n');
                  }
                } catch (IOException e) {
                  // the process ended
                }
              });
          return new Server(p, Integer.parseInt(m.group(1)), data, seen);
        }
      }
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("the server did not start:\n" + seen);
    }

    WireClient client() {
      return client(data, port);
    }

    static WireClient client(Path data, int port) {
      try {
        String token = Files.readString(data.resolve("root.token")).strip();
        return WireClient.builder().address("http://127.0.0.1:" + port).token(token).build();
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }

    void kill() throws InterruptedException {
      process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
