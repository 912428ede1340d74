package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.RotationProgress;
import dev.keyturn.api.WireJson;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import dev.keyturn.server.KeyturnServer;
import dev.keyturn.server.ServerConfig;
import dev.keyturn.testing.PythonMultiFernet;
import dev.keyturn.testing.ScratchPostgres;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code keyturn rotation set --strategy reencrypt}, {@code target setup}, {@code rotate} and
 * {@code keyring} against a real server and a throw-away PostgreSQL cluster that demands SCRAM
 * passwords: flags become the rule, bad identifiers are one line on stderr and a non-zero exit
 * (from flags and from a rule file), and Python MultiFernet over {@code keyring --json} opens every
 * row after the rotation.
 */
class ReencryptCliTest {
  private static final String KEY = "cli/reencrypt/CREDENTIAL_ENCRYPTION_KEY";
  private static final String ADMIN = "cli/reencrypt/DATABASE_ADMIN";
  @TempDir static Path work;
  private static KeyturnServer server;
  private static ScratchPostgres pg;
  private static String addr;

  @TempDir Path home;

  @BeforeAll
  static void start() throws Exception {
    pg = ScratchPostgres.start();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"));
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE app");
    }
    Path data = work.resolve("keyturn-data");
    server =
        KeyturnServer.start(
            ServerConfig.local(
                data,
                "127.0.0.1",
                0,
                "jdbc:sqlite:" + data.resolve("keyturn.db"),
                Optional.empty()),
            Clock.systemUTC(),
            new SecureRandom());
    addr = "http://127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  record Run(int code, String out, String err) {}

  private Run run(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of("KEYTURN_ADDR", addr),
            home,
            work,
            false);
    int code = KeyturnCli.run(io, args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void reencrypt_setSetupRotateAndKeyring() throws Exception {
    assertThat(run("", "put", KEY, "--generate", "fernet").code()).isZero();
    String admin =
        "{\"engine\":\"postgres\",\"host\":\"127.0.0.1\",\"port\":"
            + pg.port()
            + ",\"dbname\":\"app\",\"username\":\"postgres\",\"password\":\""
            + pg.superPassword()
            + "\",\"sslmode\":\"disable\"}";
    assertThat(run(admin, "put", ADMIN, "--stdin", "--type", "json").code()).isZero();
    Map<Long, String> plain = new HashMap<>();
    FernetKeyring before = keyring();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl("app"));
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE api_credentials (id bigint PRIMARY KEY, token text NOT NULL)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO api_credentials VALUES (?, ?)")) {
        for (long id = 1; id <= 300; id++) {
          plain.put(id, "CANARY-cli-" + id);
          ps.setLong(1, id);
          ps.setString(2, before.encrypt(plain.get(id).getBytes(StandardCharsets.UTF_8)));
          ps.executeUpdate();
        }
      }
    }
    List<String> common =
        List.of(
            "rotation",
            "set",
            KEY,
            "--strategy",
            "reencrypt",
            "--target",
            "postgresql",
            "--admin",
            ADMIN,
            "--table",
            "api_credentials",
            "--id-column",
            "id",
            "--column",
            "token",
            "--batch-size",
            "50",
            "--atomic");

    Run hex = run("", concat(common, "--generate", "hex:32"));
    Run hostile = run("", concat(common, "--generate", "fernet", "--table", "t; DROP TABLE x"));
    Path file = work.resolve("rule.yaml");
    Files.writeString(
        file,
        "generate: fernet\nstrategy: reencrypt\ntarget:\n  type: postgresql\n  admin: "
            + ADMIN
            + "\n  table: api_credentials\n  id-column: id\n  column: \"token\\\" = 'x'; --\"\n");
    Run fromFile = run("", "rotation", "set", KEY, "--file", file.toString());
    Run set = run("", concat(common, "--generate", "fernet"));
    Run shown = run("", "rotation", "show", KEY, "--json");
    Run setup = run("", "target", "setup", KEY);
    Run rotate = run("", "rotate", KEY);
    Run ring = run("", "keyring", KEY, "--json");

    for (Run bad : List.of(hex, hostile, fromFile)) {
      assertThat(bad.code()).isNotZero();
      assertThat(bad.err().strip()).doesNotContain("\n").doesNotContain("DROP");
    }
    assertThat(hex.err()).contains("--generate fernet");
    assertThat(hostile.err()).contains("table");
    assertThat(fromFile.err()).contains("column");
    assertThat(set.code()).as(set.err()).isZero();
    JsonNode target = WireJson.mapper().readTree(shown.out()).get("rule").get("target");
    assertThat(target.toString())
        .contains("\"table\":\"api_credentials\"")
        .contains("\"batch-size\":\"50\"")
        .contains("\"atomic\":\"true\"")
        .contains("\"skip-undecryptable\":\"false\"");
    assertThat(setup.code()).as(setup.err()).isZero();
    assertThat(setup.out()).contains("primary key").contains("may SELECT and UPDATE");
    assertThat(rotate.code()).as(rotate.out() + rotate.err()).isZero();
    assertThat(rotate.out()).contains("rows: [" + "#".repeat(30) + "] 100% 300/300 rows");
    List<String> keys = new ArrayList<>();
    WireJson.mapper()
        .readTree(ring.out())
        .get("versions")
        .forEach(v -> keys.add(v.get("value").stringValue()));
    assertThat(keys).hasSize(1);
    assertThat(PythonMultiFernet.check(keys, rows(), plain)).isEqualTo("ok 300");
    assertThat(rotate.out() + rotate.err()).doesNotContain("CANARY").doesNotContain(keys.get(0));
  }

  @Test
  void progressBar_line_countsAndPercent() {
    assertThat(ProgressBar.line(new RotationProgress(1000, 250, 0, 0)))
        .isEqualTo("[#######.......................] 25% 250/1000 rows");
    assertThat(ProgressBar.line(new RotationProgress(10, 8, 1, 1)))
        .isEqualTo("[##############################] 100% 8/10 rows, 1 skipped, 1 failed");
    assertThat(ProgressBar.line(new RotationProgress(0, 0, 0, 0)))
        .isEqualTo("[..............................] 0% 0/0 rows");
  }

  private FernetKeyring keyring() throws Exception {
    Run ring = run("", "keyring", KEY, "--json");
    List<KeyVersion> versions = new ArrayList<>();
    for (JsonNode v : WireJson.mapper().readTree(ring.out()).get("versions")) {
      versions.add(
          KeyVersion.text(
              v.get("version").asInt(),
              KeyStage.of(v.get("stage").stringValue()),
              v.get("value").stringValue()));
    }
    return FernetKeyring.of(KEY, versions);
  }

  private static TreeMap<Long, String> rows() throws Exception {
    TreeMap<Long, String> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl("app"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, token FROM api_credentials")) {
      while (rs.next()) {
        out.put(rs.getLong(1), rs.getString(2));
      }
    }
    return out;
  }

  private static String[] concat(List<String> head, String... tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(List.of(tail));
    return all.toArray(String[]::new);
  }
}
