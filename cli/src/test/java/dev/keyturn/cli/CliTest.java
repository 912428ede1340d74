package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.CheckInfo;
import dev.keyturn.server.KeyturnServer;
import dev.keyturn.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI in-process against a real server, run from a folder whose keyturn-data holds the root
 * token, as a newcomer runs it after {@code bin/keyturn server}.
 */
class CliTest {
  @TempDir static Path work;
  private static KeyturnServer server;
  private static String addr;

  @TempDir Path home;

  @BeforeAll
  static void start() {
    Path data = work.resolve("keyturn-data");
    server =
        KeyturnServer.start(
            ServerConfig.local(
                    data,
                    "127.0.0.1",
                    0,
                    "jdbc:sqlite:" + data.resolve("keyturn.db"),
                    Optional.empty())
                .toBuilder()
                .hostPolicy(
                    new dev.keyturn.core.HostPolicy(
                        java.util.List.of(
                            command("reload", "touch " + work.resolve("reloaded")),
                            command("reloaded", "test -f " + work.resolve("reloaded")),
                            command("reload-yaml", "touch " + work.resolve("yaml-reloaded")),
                            command("ok", "true"),
                            command("fail", "false"),
                            command("slow", "sleep 13")),
                        java.util.List.of(),
                        dev.keyturn.core.Outbound.publicOnly()))
                .build(),
            Clock.systemUTC(),
            new SecureRandom());
    addr = "http://127.0.0.1:" + server.port();
  }

  private static dev.keyturn.core.CommandSpec command(String name, String line) {
    return new dev.keyturn.core.CommandSpec(
        name,
        java.util.List.of("sh", "-c", line),
        Optional.empty(),
        Optional.empty(),
        java.time.Duration.ofMinutes(1),
        Map.of());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Output of one run. */
  record Run(int code, String out, String err, byte[] outBytes) {}

  private Run run(byte[] stdin, Map<String, String> extraEnv, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> env = new HashMap<>(Map.of("KEYTURN_ADDR", addr));
    env.putAll(extraEnv);
    Io io =
        new Io(
            new ByteArrayInputStream(stdin),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env,
            home,
            work,
            false);
    int code = KeyturnCli.run(io, args);
    return new Run(
        code,
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8),
        out.toByteArray());
  }

  private Run run(String... args) {
    return run(new byte[0], Map.of(), args);
  }

  @Test
  void generate_printsValueAndNewlineWithoutServer() {
    Run r = run(new byte[0], Map.of("KEYTURN_ADDR", "http://127.0.0.1:1"), "generate", "hex:32");

    assertThat(r.code()).isZero();
    assertThat(r.out()).matches("[0-9a-f]{64}\n");
  }

  @Test
  void generate_badSpec_isOneLineExit1() {
    Run r = run("generate", "nope");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("keyturn: invalid generator spec").endsWith("\n");
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void putGenerateThenGet_roundTripsWithTheDataFolderToken() {
    Run put = run("put", "app/dev/SECRET_KEY", "--generate", "django");
    Run get = run("get", "app/dev/SECRET_KEY");

    assertThat(put.code()).as(put.err()).isZero();
    assertThat(put.out()).isEqualTo("app/dev/SECRET_KEY: version 1 is current\n");
    assertThat(get.code()).as(get.err()).isZero();
    assertThat(get.out()).hasSize(51).endsWith("\n");
  }

  @Test
  void putStdin_removesOneTrailingNewlineUnlessKept() {
    run("s3cr3t\n\n".getBytes(StandardCharsets.UTF_8), Map.of(), "put", "cli/stdin/A", "--stdin");
    run(
        "s3cr3t\n".getBytes(StandardCharsets.UTF_8),
        Map.of(),
        "put",
        "cli/stdin/B",
        "--stdin",
        "--keep-newline");

    assertThat(run("get", "cli/stdin/A", "--raw").outBytes())
        .isEqualTo("s3cr3t\n".getBytes(StandardCharsets.UTF_8));
    assertThat(run("get", "cli/stdin/B", "--raw").outBytes())
        .isEqualTo("s3cr3t\n".getBytes(StandardCharsets.UTF_8));
    assertThat(run("get", "cli/stdin/A").out()).isEqualTo("s3cr3t\n\n");
  }

  @Test
  void putFile_andJsonTypes() throws Exception {
    Path file = work.resolve("db.json");
    Files.writeString(file, "{\"engine\":\"postgresql\",\"port\":5432}\n");

    Run fromFile = run("put", "cli/json/DB", "--file", file.toString(), "--type", "json");
    Run inline = run("put", "cli/json/INLINE", "--value-json", "{\"a\":[1,2]}");

    assertThat(fromFile.code()).as(fromFile.err()).isZero();
    assertThat(inline.code()).as(inline.err()).isZero();
    assertThat(run("get", "cli/json/DB").out())
        .isEqualTo("{\"engine\":\"postgresql\",\"port\":5432}\n");
    assertThat(run("get", "cli/json/INLINE", "--json").out())
        .contains("\"name\":\"cli/json/INLINE\"")
        .contains("\"value\":{\"a\":[1,2]}")
        .contains("\"version\":1")
        .contains("\"stage\":\"current\"")
        .contains("\"created_at\":");
  }

  @Test
  void getFormatUrl_rendersADatabaseSecret_andRefusesOtherValuesInOneLine() throws Exception {
    Path file = work.resolve("leather.json");
    Files.writeString(
        file,
        "{\"engine\":\"postgresql\",\"host\":\"127.0.0.1\",\"port\":5432,"
            + "\"dbname\":\"leather_api\",\"username\":\"leather_api\",\"password\":\"p@ss/w\"}");
    assertThat(run("put", "cli/db/DATABASE", "--file", file.toString(), "--type", "json").code())
        .isZero();
    run("put", "cli/db/PLAIN", "--value", "canary-not-a-db-7");

    Run url = run("get", "cli/db/DATABASE", "--format", "url");
    Run jdbc = run("get", "cli/db/DATABASE", "--format", "jdbc");
    Run plain = run("get", "cli/db/PLAIN", "--format", "url");
    Run unknown = run("get", "cli/db/DATABASE", "--format", "yaml");

    assertThat(url.out())
        .isEqualTo("postgresql://leather_api:p%40ss%2Fw@127.0.0.1:5432/leather_api\n");
    assertThat(jdbc.out())
        .isEqualTo(
            "jdbc:postgresql://127.0.0.1:5432/leather_api?user=leather_api&password=p%40ss%2Fw\n");
    assertThat(plain.code()).isEqualTo(1);
    assertThat(plain.err())
        .isEqualTo(
            "keyturn: cli/db/PLAIN is not a database secret (a database secret is a JSON object;"
                + " this value is not JSON)\n");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).isEqualTo("keyturn: --format is value, url or jdbc\n");
  }

  @Test
  void putBadInput_isOneLineErrorAndStoresNothing() throws Exception {
    Path binary = work.resolve("key.bin");
    Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0});

    Run notUtf8 = run("put", "cli/bad/BIN", "--file", binary.toString());
    Run notJson = run("put", "cli/bad/J", "--value-json", "{secret-looking");
    Run missing = run("put", "cli/bad/M", "--file", work.resolve("nope").toString());

    assertThat(notUtf8.code()).isEqualTo(1);
    assertThat(notUtf8.err()).contains("not UTF-8").contains("base64");
    assertThat(notJson.code()).isEqualTo(1);
    assertThat(notJson.err()).isEqualTo("keyturn: --value-json is not valid JSON\n");
    assertThat(missing.err()).contains("no such file");
    assertThat(run("get", "cli/bad/BIN").code()).isEqualTo(ExitCode.NOT_FOUND);
  }

  @Test
  void usageErrors_exit2() {
    Run none = run("put", "cli/u/A");
    Run two = run("put", "cli/u/A", "--stdin", "--generate", "hex:8");
    Run unknown = run("frobnicate");

    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).startsWith("keyturn: ").contains("keyturn put --help");
    assertThat(two.code()).isEqualTo(2);
    assertThat(unknown.code()).isEqualTo(2);
  }

  @Test
  void graceHistoryStageDescribeAndRm() {
    run("put", "cli/flow/HMAC", "--value", "old");
    run("put", "cli/flow/HMAC", "--value", "new", "--grace", "24h");

    Run previous = run("get", "cli/flow/HMAC", "--stage", "previous");
    Run history = run("history", "cli/flow/HMAC");
    Run describe = run("describe", "cli/flow/HMAC");
    Run rollback = run("stage", "cli/flow/HMAC", "1", "current");
    Run afterRollback = run("get", "cli/flow/HMAC");
    Run rm = run("rm", "cli/flow/HMAC", "--destroy");
    Run gone = run("get", "cli/flow/HMAC");

    assertThat(previous.out()).isEqualTo("old\n");
    assertThat(history.out()).startsWith("VERSION").contains("previous").contains("current");
    assertThat(describe.out()).contains("current version   2").contains("previous version  1");
    assertThat(rollback.out()).isEqualTo("cli/flow/HMAC: version 1 is current\n");
    assertThat(afterRollback.out()).isEqualTo("old\n");
    assertThat(rm.out()).contains("2 version(s) retired, values destroyed");
    assertThat(gone.code()).isEqualTo(ExitCode.NOT_FOUND);
    assertThat(gone.err()).startsWith("keyturn: cli/flow/HMAC is deleted");
  }

  @Test
  void ls_tableAndJson() {
    run("put", "cli/ls/A", "--value", "a");
    run("put", "cli/ls/B", "--value", "b");

    Run table = run("ls", "cli/ls/");
    Run json = run("ls", "cli/ls/", "--json");

    assertThat(table.out().lines()).hasSize(3);
    assertThat(table.out()).startsWith("NAME").contains("cli/ls/A").contains("cli/ls/B");
    assertThat(json.out()).contains("\"secrets\":[").contains("\"name\":\"cli/ls/A\"");
  }

  @Test
  void noServer_isOneLineExit1() {
    Run r = run(new byte[0], Map.of("KEYTURN_ADDR", "http://127.0.0.1:1"), "get", "a/b");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("keyturn: cannot connect to Keyturn at http://127.0.0.1:1");
  }

  @Test
  void badToken_is401Exit6() {
    Run r = run(new byte[0], Map.of("KEYTURN_TOKEN", "kt_wrongwrongwrongwrongw"), "get", "a/b");

    assertThat(r.code()).isEqualTo(ExitCode.REFUSED);
    assertThat(r.err()).isEqualTo("keyturn: the token is not valid\n");
  }

  @Test
  void login_checksAndStoresTheTokenOwnerOnly() throws Exception {
    String token = Files.readString(work.resolve("keyturn-data/root.token")).strip();

    Run bad = run("kt_nottherighttokenatall\n".getBytes(StandardCharsets.UTF_8), Map.of(), "login");
    Run good = run((token + "\n").getBytes(StandardCharsets.UTF_8), Map.of(), "login");

    Path saved = home.resolve(".keyturn/token");
    assertThat(bad.code()).isEqualTo(ExitCode.REFUSED);
    assertThat(good.code()).as(good.err()).isZero();
    assertThat(good.out()).contains("as root (root)").doesNotContain(token);
    assertThat(Files.readString(saved)).isEqualTo(token + "\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(saved)))
        .isEqualTo("rw-------");
  }

  @Test
  void tokenFile_fromEnvironment() throws Exception {
    Path tokenFile = home.resolve("t");
    Files.copy(work.resolve("keyturn-data/root.token"), tokenFile);
    Run put =
        run(
            new byte[0],
            Map.of("KEYTURN_TOKEN_FILE", tokenFile.toString(), "KEYTURN_DATA", "/nonexistent"),
            "put",
            "cli/tf/A",
            "--value",
            "v");

    assertThat(put.code()).as(put.err()).isZero();
  }

  @Test
  void helpAndVersion_exit0() {
    Run help = run("--help");
    Run putHelp = run("put", "--help");
    Run version = run("--version");

    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("generate").contains("server").contains("KEYTURN_ADDR");
    assertThat(putHelp.out()).contains("--stdin").contains("For demos only");
    assertThat(version.out()).startsWith("keyturn ");
  }

  @Test
  void tokenCreateListRevoke_andTheNewTokenIsScoped() {
    run("put", "cli/tok/A", "--value", "a");

    Run create =
        run("token", "create", "--allow", "read:cli/tok/*", "--name", "ci-deploy", "--ttl", "1h");
    String token = create.out().strip();
    Run read = run(new byte[0], Map.of("KEYTURN_TOKEN", token), "get", "cli/tok/A");
    Run write =
        run(new byte[0], Map.of("KEYTURN_TOKEN", token), "put", "cli/tok/A", "--value", "b");
    Run list = run("token", "list");
    String id =
        list.out()
            .lines()
            .filter(l -> l.contains("ci-deploy"))
            .findFirst()
            .orElseThrow()
            .split("\\s+")[0];
    Run revoke = run("token", "revoke", id);
    Run after = run(new byte[0], Map.of("KEYTURN_TOKEN", token), "get", "cli/tok/A");

    assertThat(create.code()).as(create.err()).isZero();
    assertThat(token).matches("kt_[A-Za-z0-9_-]{22}");
    assertThat(create.err()).contains("not shown again");
    assertThat(read.out()).isEqualTo("a\n");
    assertThat(write.code()).isEqualTo(ExitCode.REFUSED);
    assertThat(write.err()).contains("lacks write on cli/tok/A");
    assertThat(list.out()).contains("read:cli/tok/*").contains("valid").doesNotContain(token);
    assertThat(revoke.out()).startsWith("revoked " + id);
    assertThat(after.err()).contains("is revoked");
  }

  @Test
  void tokenLineage_listShowsCreators_revokeTakesChildren_orphanNeedsAdminStar() {
    String admin =
        run("token", "create", "--allow", "admin:cli/lin/*", "--ttl", "1y").out().strip();
    Run child =
        run(
            new byte[0],
            Map.of("KEYTURN_TOKEN", admin),
            "token",
            "create",
            "--allow",
            "read:cli/lin/*",
            "--name",
            "lin-child",
            "--json");
    Run scopedOrphan =
        run(
            new byte[0],
            Map.of("KEYTURN_TOKEN", admin),
            "token",
            "create",
            "--orphan",
            "--allow",
            "read:cli/lin/*");
    Run orphan =
        run("token", "create", "--orphan", "--allow", "read:cli/lin/*", "--name", "lin-orphan");
    String adminId = idOf(run("token", "list").out(), admin.isEmpty() ? "?" : "admin:cli/lin/*");
    Run list = run("token", "list");
    Run revoke = run("token", "revoke", adminId);
    Run after = run(new byte[0], Map.of("KEYTURN_TOKEN", orphan.out().strip()), "ls", "cli/lin/");

    assertThat(child.code()).as(child.err()).isZero();
    assertThat(scopedOrphan.code()).isNotZero();
    assertThat(scopedOrphan.err()).contains("lacks admin").doesNotContain("kt_");
    assertThat(orphan.code()).as(orphan.err()).isZero();
    assertThat(list.out().lines().filter(l -> l.contains("lin-child")).findFirst().orElseThrow())
        .contains(adminId);
    assertThat(list.out().lines().filter(l -> l.contains("lin-orphan")).findFirst().orElseThrow())
        .contains(" - ");
    assertThat(revoke.out()).contains("and the tokens it made: tok_");
    assertThat(after.code()).as(after.err()).isZero();
  }

  private static String idOf(String list, String grant) {
    return list.lines().filter(l -> l.contains(grant)).findFirst().orElseThrow().split("\\s+")[0];
  }

  @Test
  void tokenCreateJson_hasTheTokenField() {
    Run r = run("token", "create", "--allow", "list:cli/*", "--json");

    assertThat(r.out()).contains("\"token\":\"kt_").contains("\"expires_at\":");
  }

  @Test
  void auditShowsWhoReadWhatAndVerifyChecksTheChain() {
    run("put", "cli/aud/K", "--value", "audited-value");
    run("get", "cli/aud/K");

    Run audit = run("audit", "--secret", "cli/aud/K", "--since", "1h");
    Run json = run("audit", "--secret", "cli/aud/K", "--action", "secret.read", "--json");
    Run checkpoint = run("audit", "checkpoint");
    Run verify = run("audit", "verify", "--checkpoint", checkpoint.out().strip());
    Run badCheckpoint = run("audit", "verify", "--checkpoint", "999999:" + "0".repeat(64));
    Run byRoot = run("audit", "--secret", "cli/aud/K", "--token", "root", "--json");
    Run byOther = run("audit", "--secret", "cli/aud/K", "--token", "tok_0123456789abcdef");
    Run badToken = run("audit", "--token", "tok_'; DROP TABLE audit");

    assertThat(audit.out())
        .contains("secret.write")
        .contains("version.create")
        .contains("secret.read");
    assertThat(audit.out()).doesNotContain("audited-value");
    assertThat(json.out()).contains("\"action\":\"secret.read\"").contains("\"token_id\":\"root\"");
    assertThat(checkpoint.out()).matches("[0-9]+:[0-9a-f]{64}\n");
    assertThat(verify.code()).as(verify.err()).isZero();
    assertThat(verify.out()).startsWith("audit chain intact");
    assertThat(badCheckpoint.code()).isEqualTo(ExitCode.FOUND);
    assertThat(badCheckpoint.err()).contains("audit chain broken at record 999999");
    assertThat(byRoot.out()).contains("\"token_id\":\"root\"").contains("secret.read");
    assertThat(byOther.code()).as(byOther.err()).isZero();
    assertThat(byOther.out()).doesNotContain("secret.read");
    assertThat(badToken.code()).isNotZero();
    assertThat(badToken.err()).contains("token is a token id").doesNotContain("DROP");
    assertThat(badToken.err().strip().lines().count()).isEqualTo(1);
  }

  @Test
  void adoptedSecret_lastRotatedMakesItOverdue_statusListsTheInventory_auditFiltersByResult() {
    run("put", "cli/inv/ADOPTED", "--generate", "hex:32");
    run("put", "cli/inv/PLAIN", "--generate", "hex:32");
    run("get", "cli/inv/NOT_THERE");

    Run set =
        run(
            "rotation",
            "set",
            "cli/inv/ADOPTED",
            "--every",
            "90d",
            "--last-rotated",
            "2020-01-01",
            "--catch-up");
    Run status = run("status", "cli/inv/");
    Run badDate = run("rotation", "set", "cli/inv/ADOPTED", "--last-rotated", "soon");
    Run failed = run("audit", "--result", "failed", "--json");
    Run badResult = run("audit", "--result", "maybe");

    assertThat(set.code()).as(set.err()).isZero();
    assertThat(set.out())
        .containsPattern("last rotated +2020-01-01T00:00:00Z")
        .containsPattern("next due +2020-03-31T00:00:00Z");
    assertThat(status.out()).contains("cli/inv/PLAIN").contains("no rule");
    assertThat(badDate.code()).isNotZero();
    assertThat(badDate.err()).contains("last_rotated is a date").doesNotContain("soon");
    assertThat(failed.code()).as(failed.err()).isZero();
    assertThat(failed.out())
        .contains("\"result\":\"not_found\"")
        .doesNotContain("\"result\":\"ok\"");
    assertThat(badResult.code()).isNotZero();
    assertThat(badResult.err()).contains("result is ok, denied or failed");
  }

  @Test
  void rotationSetRotateRotationsAndStatus() {
    run("put", "cli/rot/HMAC", "--generate", "hex:32");

    Run set =
        run(
            "rotation",
            "set",
            "cli/rot/HMAC",
            "--generate",
            "hex:32",
            "--every",
            "90d",
            "--grace",
            "24h",
            "--strategy",
            "overlap",
            "--owner",
            "devops",
            "--purpose",
            "webhook signatures");
    Run show = run("rotation", "show", "cli/rot/HMAC", "--json");
    Run rotate = run("rotate", "cli/rot/HMAC");
    Run rotations = run("rotations", "cli/rot/HMAC");
    Run across = run("rotations", "--prefix", "cli/rot/", "--state", "finished");
    Run badState = run("rotations", "--prefix", "cli/rot/", "--state", "sideways");
    Run both = run("rotations", "cli/rot/HMAC", "--prefix", "cli/");
    Run status = run("status", "cli/rot/");
    Run statusJson = run("status", "cli/rot/", "--json");
    Run clear = run("rotation", "clear", "cli/rot/HMAC");
    Run noRule = run("rotate", "cli/rot/HMAC");

    assertThat(set.code()).as(set.err()).isZero();
    assertThat(set.out()).contains("schedule     every 90d (UTC)").contains("owner        devops");
    assertThat(show.out()).contains("\"strategy\":\"overlap\"").contains("\"next_due\":");
    assertThat(rotate.code()).as(rotate.err()).isZero();
    assertThat(rotate.out()).contains("finished, version 2").contains("ok     set none");
    assertThat(rotations.out()).contains("finished").contains("set none ok");
    assertThat(across.code()).as(across.err()).isZero();
    assertThat(across.out()).startsWith("ID").contains("SECRET").contains("cli/rot/HMAC");
    assertThat(badState.code()).isNotZero();
    assertThat(badState.err()).contains("state is active");
    assertThat(both.code()).isEqualTo(ExitCode.USAGE);
    assertThat(status.out())
        .startsWith("NAME")
        .contains("cli/rot/HMAC")
        .contains("devops")
        .contains(" ok");
    assertThat(statusJson.out())
        .contains("\"last_rotated\":")
        .contains("\"next_due\":")
        .contains("\"state\":\"ok\"");
    assertThat(clear.out()).contains("rotation rule removed");
    assertThat(noRule.code()).isEqualTo(ExitCode.NOT_FOUND);
    assertThat(noRule.err()).contains("has no rotation rule");
  }

  @Test
  void rotateManual_readsTheValueFromStdin() {
    run("put", "cli/rot/SMTP", "--value", "old-pw-1");
    run(
        "rotation",
        "set",
        "cli/rot/SMTP",
        "--generate",
        "manual",
        "--strategy",
        "manual",
        "--grace",
        "1h");

    Run rotate =
        run(
            "new-password\n".getBytes(StandardCharsets.UTF_8),
            Map.of(),
            "rotate",
            "cli/rot/SMTP",
            "--stdin");

    assertThat(rotate.code()).as(rotate.err()).isZero();
    assertThat(run("get", "cli/rot/SMTP").out()).isEqualTo("new-password\n");
    assertThat(rotate.out()).doesNotContain("new-password");
  }

  @Test
  void rotationSet_withHooksAndChecks() throws Exception {
    Path marker = work.resolve("reloaded");
    run("put", "cli/rot/HOOKED", "--value", "v1");

    Run set =
        run(
            "rotation",
            "set",
            "cli/rot/HOOKED",
            "--hook",
            "after-set:command:reload",
            "--check",
            "after-finish:command:reloaded");
    Run rotate = run("rotate", "cli/rot/HOOKED");
    Run bad = run("rotation", "set", "cli/rot/HOOKED", "--hook", "after-set:sql:DELETE");

    assertThat(set.out()).contains("hook").contains("check");
    assertThat(rotate.code()).as(rotate.err()).isZero();
    assertThat(rotate.out())
        .contains("ok     after-set hook command")
        .contains("ok     after-finish check command");
    assertThat(marker).exists();
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("give sql hooks through the API");
  }

  @Test
  void rotationSet_withCronAndWindow() {
    run("put", "cli/rot/CRON", "--value", "v1");

    Run set =
        run(
            "rotation",
            "set",
            "cli/rot/CRON",
            "--cron",
            "0 3 1 * *",
            "--window",
            "Sun 02:00-04:00",
            "--timezone",
            "Europe/Berlin");
    Run both = run("rotation", "set", "cli/rot/CRON", "--cron", "0 3 1 * *", "--every", "90d");
    Run badWindow = run("rotation", "set", "cli/rot/CRON", "--every", "90d", "--window", "Sundays");

    assertThat(set.code()).as(set.err()).isZero();
    assertThat(set.out()).contains("cron 0 3 1 * * (Europe/Berlin)").contains("Sun 02:00-04:00");
    assertThat(both.code()).isEqualTo(1);
    assertThat(both.err()).contains("not both");
    assertThat(badWindow.err()).contains("a window is");
  }

  @Test
  void rotationSet_consumerDeadlineAndConsumersPropagation_areShownAsStored() {
    run("put", "cli/rot/CONSUMED", "--value", "v1");

    Run set =
        run(
            "rotation",
            "set",
            "cli/rot/CONSUMED",
            "--grace",
            "1h",
            "--propagation",
            "consumers:10m",
            "--consumer-deadline",
            "2h");
    Run shown = run("rotation", "show", "cli/rot/CONSUMED", "--json");
    Run bad =
        run(
            "rotation",
            "set",
            "cli/rot/CONSUMED",
            "--propagation",
            "consumers:0s",
            "--grace",
            "1h");
    Run badDeadline = run("rotation", "set", "cli/rot/CONSUMED", "--consumer-deadline", "soon");

    assertThat(set.code()).as(set.err()).isZero();
    assertThat(set.out()).contains("consumers:10m").contains("consumer deadline").contains("2h");
    assertThat(shown.out())
        .contains("\"propagation\":\"consumers:10m\"")
        .contains("\"consumer_deadline\":\"2h\"");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("consumers:D");
    assertThat(badDeadline.code()).isEqualTo(1);
    assertThat(run("rotation", "show", "cli/rot/CONSUMED", "--json").out())
        .contains("\"consumer_deadline\":\"2h\"");
  }

  @Test
  void rotationSet_fromAYamlFile() throws Exception {
    Path marker = work.resolve("yaml-reloaded");
    Path rule = work.resolve("rule.yaml");
    Files.writeString(
        rule,
        """
        generate: hex:32
        every: 90d
        timezone: Europe/Berlin
        window: "Sun 02:00-04:00"
        grace: 24h
        strategy: overlap
        owner: devops
        purpose: revalidation webhook
        target:
          type: none
        attempts: 3
        backoff: 2s
        hooks:
          - phase: after-set
            type: command
            command: reload-yaml
          - phase: after-finish
            type: command
            check: true
            command: ok
        """);
    run("put", "cli/rot/YAML", "--value", "v1");

    Run set = run("rotation", "set", "cli/rot/YAML", "--file", rule.toString(), "--json");
    Run rotate = run("rotate", "cli/rot/YAML");
    Path bad = work.resolve("bad.yaml");
    Files.writeString(bad, "generate: hex:32\nevry: 90d\n");
    Run typo = run("rotation", "set", "cli/rot/YAML", "--file", bad.toString());

    assertThat(set.code()).as(set.err()).isZero();
    assertThat(set.out())
        .contains("\"window\":\"Sun 02:00-04:00\"")
        .contains("\"timezone\":\"Europe/Berlin\"")
        .contains("\"attempts\":3");
    assertThat(rotate.code()).as(rotate.err()).isZero();
    assertThat(marker).exists();
    assertThat(typo.code()).isEqualTo(1);
    assertThat(typo.err()).contains("unknown field 'evry'");
  }

  @Test
  void noToken_namesEveryWayToGiveOne_exit6() {
    Run r = run(new byte[0], Map.of("KEYTURN_DATA", "/nonexistent"), "get", "cli/none/A");

    assertThat(r.code()).isEqualTo(ExitCode.REFUSED);
    assertThat(r.err())
        .startsWith("keyturn: no token: ")
        .contains("KEYTURN_TOKEN ")
        .contains("KEYTURN_TOKEN_FILE")
        .contains("keyturn login")
        .contains("./keyturn-data/root.token");
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void unknownSecret_exit5_andForbidden_exit6() {
    String reader = run("token", "create", "--allow", "read:cli/other/*").out().strip();

    Run missing = run("get", "cli/none/MISSING");
    Run forbidden = run(new byte[0], Map.of("KEYTURN_TOKEN", reader), "get", "cli/none/MISSING");

    assertThat(missing.code()).isEqualTo(ExitCode.NOT_FOUND);
    assertThat(forbidden.code()).isEqualTo(ExitCode.REFUSED);
  }

  @Test
  void plainHttpToAnotherHost_isRefusedUnlessInsecureHttp() {
    Map<String, String> remote = Map.of("KEYTURN_ADDR", "http://keyturn-test.invalid:8270");

    Run refused = run(new byte[0], remote, "get", "cli/http/A");
    Run login =
        run("kt_sometokensometokensome\n".getBytes(StandardCharsets.UTF_8), remote, "login");
    Run allowed = run(new byte[0], remote, "--insecure-http", "get", "cli/http/A");
    Run allowedAfter = run(new byte[0], remote, "get", "cli/http/A", "--insecure-http");
    Run https = run(new byte[0], Map.of("KEYTURN_ADDR", "https://keyturn-test.invalid:1"), "ls");

    assertThat(refused.code()).isEqualTo(ExitCode.ERROR);
    assertThat(refused.err())
        .isEqualTo(
            "keyturn: refusing to send the token to http://keyturn-test.invalid:8270 over plain"
                + " HTTP: anyone on the network path could read it and use it. Use https://, or"
                + " give --insecure-http if that path is private\n");
    assertThat(login.err()).contains("refusing to send the token");
    assertThat(home.resolve(".keyturn")).doesNotExist();
    assertThat(allowed.err()).doesNotContain("refusing").contains("keyturn-test.invalid");
    assertThat(allowedAfter.err()).doesNotContain("refusing");
    assertThat(https.err()).doesNotContain("refusing");
  }

  @Test
  void putValue_warnsThatPsAndHistorySeeIt() {
    Run value = run("put", "cli/warn/A", "--value", "demo-value-1-Xq9#Lm2!Kp7@Wz4");
    Run json = run("put", "cli/warn/B", "--value-json", "{\"k\":1}");
    Run generated = run("put", "cli/warn/C", "--generate", "hex:8");

    assertThat(value.code()).isZero();
    assertThat(value.err())
        .isEqualTo(
            "keyturn: warning: a value given with --value is visible to other users in ps and"
                + " stays in your shell history; use --stdin or --file for a real secret\n");
    assertThat(value.err()).doesNotContain("demo-value-1");
    assertThat(json.err()).contains("--value-json is visible");
    assertThat(generated.err()).isEmpty();
  }

  @Test
  void login_tightensALooseFolder_andReplacesTheFileAtomically() throws Exception {
    String token = Files.readString(work.resolve("keyturn-data/root.token")).strip();
    Path folder = Files.createDirectory(home.resolve(".keyturn"));
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path saved = Files.writeString(folder.resolve("token"), "kt_old\n");
    Files.setPosixFilePermissions(saved, PosixFilePermissions.fromString("rw-rw-rw-"));
    Path oldName = Files.createLink(home.resolve("old-name"), saved);

    Run r = run((token + "\n").getBytes(StandardCharsets.UTF_8), Map.of(), "login");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("it is now mode 700");
    assertThat(mode(folder)).isEqualTo("rwx------");
    assertThat(mode(saved)).isEqualTo("rw-------");
    assertThat(Files.readString(saved)).isEqualTo(token + "\n");
    assertThat(Files.readString(oldName))
        .as("the old file is not written into")
        .isEqualTo("kt_old\n");
    assertThat(Files.list(folder)).containsExactly(saved);
  }

  @Test
  void login_replacesAPlantedSymlink_withoutWritingThroughIt() throws Exception {
    String token = Files.readString(work.resolve("keyturn-data/root.token")).strip();
    Path folder = Files.createDirectory(home.resolve(".keyturn"));
    Path elsewhere = Files.writeString(home.resolve("attacker-readable"), "");
    Files.createSymbolicLink(folder.resolve("token"), elsewhere);

    Run r = run((token + "\n").getBytes(StandardCharsets.UTF_8), Map.of(), "login");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(elsewhere)).isEmpty();
    assertThat(Files.isSymbolicLink(folder.resolve("token"))).isFalse();
    assertThat(mode(folder.resolve("token"))).isEqualTo("rw-------");
  }

  @Test
  void login_refusesAFolderOfAnotherUser() throws Exception {
    String token = Files.readString(work.resolve("keyturn-data/root.token")).strip();
    Path folder = Files.createDirectory(home.resolve(".keyturn"));
    Files.setAttribute(folder, "unix:uid", 65534);

    Run r = run((token + "\n").getBytes(StandardCharsets.UTF_8), Map.of(), "login");

    assertThat(r.code()).isEqualTo(ExitCode.ERROR);
    assertThat(r.err()).contains("belongs to uid 65534").doesNotContain(token);
    assertThat(folder.resolve("token")).doesNotExist();
  }

  @Test
  void rotate_failedOrFinishedWithAFailedCheck_exits4_andStatusPointsToTheReason() {
    run("put", "cli/rot/FAILS", "--value", "v1");
    run("put", "cli/rot/LATECHECK", "--value", "v1");
    run("rotation", "set", "cli/rot/FAILS", "--check", "after-set:command:fail", "--attempts", "1");
    run("rotation", "set", "cli/rot/LATECHECK", "--check", "after-finish:command:fail");

    Run failed = run("rotate", "cli/rot/FAILS");
    Run lateCheck = run("rotate", "cli/rot/LATECHECK");
    run("put", "cli/rot/DETACHED", "--value", "v1");
    run("rotation", "set", "cli/rot/DETACHED", "--generate", "hex:8");
    Run detached = run("rotate", "cli/rot/DETACHED", "--detach");

    assertThat(failed.code())
        .as(failed.out() + failed.err())
        .isEqualTo(ExitCode.ROTATION_INCOMPLETE);
    assertThat(failed.out()).contains(" failed");
    assertThat(lateCheck.code())
        .as(lateCheck.out() + lateCheck.err())
        .isEqualTo(ExitCode.ROTATION_INCOMPLETE);
    assertThat(lateCheck.out()).contains("after-finish check command");
    assertThat(detached.code()).as(detached.err()).isZero();
    Run board = run("status", "cli/rot/");
    assertThat(board.code()).isZero();
    assertThat(board.out()).contains("cli/rot/FAILS").doesNotContain("rotations NAME");
    assertThat(board.err())
        .contains("cli/rot/FAILS (failed)")
        .contains("'keyturn rotations NAME' shows why")
        .doesNotContain("cli/rot/DETACHED");
  }

  @Test
  void rotate_checkSlowerThanTheRequestWindow_answersBeforeItEnds_andRotateWaitsForTheOutcome() {
    run("put", "cli/rot/SLOW", "--value", "v1");
    run("rotation", "set", "cli/rot/SLOW", "--check", "after-set:command:slow");

    Run detached = run("rotate", "cli/rot/SLOW", "--detach");

    // the rotate request answers after at most 10 s while the 13 s check still runs, so a
    // check slower than the client's HTTP timeout can no longer cut the answer off
    assertThat(detached.code()).as(detached.err()).isZero();
    assertThat(detached.out()).startsWith("rot_");
    assertThat(run("rotations", "cli/rot/SLOW").out()).doesNotContain("finished");
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> run("rotations", "cli/rot/SLOW").out().contains("finished"));
    Run again = run("rotate", "cli/rot/SLOW");
    assertThat(again.code()).as(again.out() + again.err()).isZero();
    assertThat(again.out()).contains("finished");
  }

  @Test
  void rotationComplete_forgivesAFailedStepThatARetryRepaired_only() {
    var failedThenOk =
        List.of(
            new CheckInfo("set command", false, 1, "exit 1"),
            new CheckInfo("set command", true, 1, ""));
    var okThenFailed =
        List.of(
            new CheckInfo("set none", true, 1, ""),
            new CheckInfo("after-set hook command", false, 1, "exit 1"));

    assertThat(RotateCommand.complete("finished", failedThenOk)).isTrue();
    assertThat(RotateCommand.complete("finished", okThenFailed)).isFalse();
    assertThat(RotateCommand.complete("failed", List.of())).isFalse();
    assertThat(RotateCommand.complete("finished", List.of())).isTrue();
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
