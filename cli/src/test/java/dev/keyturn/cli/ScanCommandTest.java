package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.WireJson;
import dev.keyturn.server.KeyturnServer;
import dev.keyturn.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code keyturn scan} in-process against a real server and real git: managed values planted in a
 * work tree, in a file deleted two commits ago, in a committed Kubernetes Secret (base64) and in a
 * DATABASE_URL (percent-encoded); patterns; SARIF; {@code --rotate --yes}; and no canary in any
 * output.
 */
class ScanCommandTest {
  private static final String CANARY = "canaryScan4f9e1c7d";
  private static final String DB_PASSWORD = "p@ss/w:rd+" + CANARY + "!";

  @TempDir static Path work;
  private static KeyturnServer server;
  private static String addr;

  @TempDir Path home;
  @TempDir Path tree;

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
                Optional.empty()),
            Clock.systemUTC(),
            new SecureRandom());
    addr = "http://127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  record Run(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private Run run(Path dir, String... args) {
    return runWith(dir, Map.of(), args);
  }

  private Run runWith(Path dir, Map<String, String> extraEnv, String... args) {
    return runWith(dir, extraEnv, KeyturnCli::run, args);
  }

  /** {@code args} as {@code keyturn} runs them: {@link FastScan} unless it declines. */
  private Run runFast(Path dir, Map<String, String> extraEnv, String... args) {
    return runWith(dir, extraEnv, FastCli::run, args);
  }

  private Run runWith(
      Path dir,
      Map<String, String> extraEnv,
      java.util.function.ToIntBiFunction<Io, String[]> cli,
      String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> env = new HashMap<>(Map.of("KEYTURN_ADDR", addr));
    env.put("KEYTURN_TOKEN_FILE", work.resolve("keyturn-data/root.token").toString());
    env.putAll(extraEnv);
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env,
            home,
            dir,
            false);
    int code = cli.applyAsInt(io, args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private void put(String name, String value) {
    Path file = work.resolve("value-" + System.nanoTime());
    try {
      Files.writeString(file, value);
      Run r = run(work, "put", name, "--file", file.toString());
      assertThat(r.code()).as(r.err()).isZero();
      Files.delete(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void git(Path repo, String... args) {
    List<String> command = new ArrayList<>(List.of("git", "-C", repo.toString()));
    command.addAll(List.of(args));
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String gitOut(Path repo, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("git", "-C", repo.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    p.waitFor();
    return out;
  }

  private static void initRepo(Path repo) {
    git(repo, "init", "-q", "-b", "main");
    git(repo, "config", "user.email", "dev@example.test");
    git(repo, "config", "user.name", "Dev");
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  @Test
  void workTree_findsPlantedValuesAnywhereAndNeverPrintsThem() throws Exception {
    String value = CANARY + "-worktree-value";
    String eight = "Zq8" + "Xw2Lp";
    put("scan/wt/API_KEY", value);
    put("scan/wt/PIN8", eight);
    put("scan/wt/TINY", "x7Q");
    write(tree.resolve("src/app.py"), "import os\n# key\nKEY = 'ab" + value + "'\n");
    write(tree.resolve(".hidden/conf"), "é" + eight + "\n");
    write(tree.resolve(".gitignore"), "ignored.txt\n");
    write(tree.resolve("ignored.txt"), "x".repeat(4099) + value);
    write(tree.resolve(".git/config"), value);
    Files.createSymbolicLink(tree.resolve("link.py"), tree.resolve("src/app.py"));

    Run r = run(tree, "scan", "--prefix", "scan/wt", "--threads", "2");

    assertThat(r.code()).as(r.err()).isEqualTo(3);
    assertThat(r.out())
        .contains("src/app.py:3:10: error managed-value scan/wt/API_KEY#1 (current)\n")
        .contains(".hidden/conf:1:2: error managed-value scan/wt/PIN8#1 (current)\n")
        .contains("ignored.txt:1:4100: error managed-value scan/wt/API_KEY#1 (current)\n")
        .doesNotContain(".git/")
        .doesNotContain("link.py");
    assertThat(r.out().lines()).hasSize(3);
    assertThat(r.err()).contains("not searched: scan/wt/TINY#1 (current): under 8 bytes");
    assertThat(r.all()).doesNotContain(CANARY).doesNotContain(eight);
  }

  @Test
  void gitHistory_findsAFileDeletedTwoCommitsAgoAndNamesTheCommitThatAddedIt() throws Exception {
    String value = CANARY + "-deleted-long-ago";
    put("scan/git/TOKEN", value);
    initRepo(tree);
    write(tree.resolve("README"), "hello\n");
    git(tree, "add", ".");
    git(tree, "commit", "-q", "-m", "one");
    write(tree.resolve("config/settings.env"), "A=1\nTOKEN=" + value + "\n");
    git(tree, "add", ".");
    git(tree, "commit", "-q", "-m", "leak");
    String leak = gitOut(tree, "rev-parse", "HEAD");
    git(tree, "rm", "-q", "config/settings.env");
    git(tree, "commit", "-q", "-m", "remove");
    write(tree.resolve("README"), "hello again\n");
    git(tree, "commit", "-q", "-am", "two");

    Run plain = run(tree, "scan", "--prefix", "scan/git");
    Run history = run(tree, "scan", "--prefix", "scan/git", "--git", "--format", "json");

    assertThat(plain.code()).as(plain.all()).isZero();
    assertThat(history.code()).as(history.err()).isEqualTo(3);
    JsonNode findings = WireJson.mapper().readTree(history.out()).get("findings");
    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).get("path").stringValue()).isEqualTo("config/settings.env");
    assertThat(findings.get(0).get("line").intValue()).isEqualTo(2);
    assertThat(findings.get(0).get("column").intValue()).isEqualTo(7);
    assertThat(findings.get(0).get("commit").stringValue()).isEqualTo(leak);
    assertThat(findings.get(0).get("secret").stringValue()).isEqualTo("scan/git/TOKEN");
    assertThat(history.all()).doesNotContain(CANARY);
  }

  @Test
  void kubernetesSecretAndDatabaseUrl_areFoundInBase64AndPercentEncoded() throws Exception {
    put("scan/db/PASSWORD", DB_PASSWORD);
    String k8sPassword = CANARY + "-k8s_Pw.1";
    put("scan/db/K8S_PASSWORD", k8sPassword);
    String url = "postgresql://app:" + k8sPassword + "@db:5432/app";
    initRepo(tree);
    for (String prefix : List.of("", "x", "xy")) {
      String encoded =
          Base64.getEncoder().encodeToString((prefix + url).getBytes(StandardCharsets.UTF_8));
      write(
          tree.resolve("k8s/secret" + prefix.length() + ".yaml"),
          "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  DATABASE_URL: "
              + encoded
              + "\n");
    }
    git(tree, "add", ".");
    git(tree, "commit", "-q", "-m", "k8s");
    write(
        tree.resolve(".env"),
        "DATABASE_URL=postgresql://app:"
            + DB_PASSWORD
                .replace("@", "%40")
                .replace("/", "%2F")
                .replace(":", "%3A")
                .replace("+", "%2B")
                .replace("!", "%21")
            + "@db/app\n");

    Run r = run(tree, "scan", "--prefix", "scan/db", "--git", "--format", "json", ".");

    assertThat(r.code()).as(r.err()).isEqualTo(3);
    JsonNode findings = WireJson.mapper().readTree(r.out()).get("findings");
    List<String> seen = new ArrayList<>();
    for (JsonNode f : findings) {
      seen.add(
          f.get("path").stringValue()
              + " "
              + f.get("encoding").stringValue()
              + (f.get("commit").isNull() ? "" : " committed"));
    }
    assertThat(seen)
        .contains(
            ".env url",
            "k8s/secret0.yaml base64+2",
            "k8s/secret1.yaml base64",
            "k8s/secret2.yaml base64+1",
            "k8s/secret0.yaml base64+2 committed",
            "k8s/secret1.yaml base64 committed",
            "k8s/secret2.yaml base64+1 committed");
    assertThat(seen).doesNotContain(".env raw");
    assertThat(r.all()).doesNotContain(CANARY).doesNotContain(DB_PASSWORD);
  }

  @Test
  void patterns_areWarningsAndKeyturnIgnoreSilencesThemButNotManagedValues() throws Exception {
    String value = CANARY + "-ignored-line";
    put("scan/pat/KEY", value);
    write(
        tree.resolve("deploy.sh"),
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
            + "export GH=ghp_"
            + "a".repeat(36)
            + " # keyturn:ignore\n"
            + "KEY="
            + value
            + " # keyturn:ignore\n"
            + "-----BEGIN OPENSSH PRIVATE KEY-----\n"
            + "SECRET_KEY=django-insecure-0123456789abcdef\n"
            + "URL=https://user:hunter2secret@example.com/x\n"
            + "TEMPLATE=https://user:${PASSWORD}@example.com/x\n"
            + "STRIPE=sk_live_"
            + "b".repeat(24)
            + "\nSLACK=xoxb-1234567890-abcdef\n");

    Run all = run(tree, "scan", "--prefix", "scan/pat");
    Run only =
        runWith(tree, Map.of("KEYTURN_ADDR", "http://127.0.0.1:1"), "scan", "--patterns-only");
    Run none = run(tree, "scan", "--prefix", "scan/pat", "--no-patterns");

    assertThat(all.code()).isEqualTo(3);
    assertThat(all.out())
        .contains("deploy.sh:1:26: warning aws-access-key-id\n")
        .contains("deploy.sh:3:5: error managed-value scan/pat/KEY#1 (current)\n")
        .contains("deploy.sh:4:1: warning private-key\n")
        .contains("deploy.sh:5:12: warning django-insecure-key\n")
        .contains("deploy.sh:6:5: warning url-password\n")
        .contains("deploy.sh:8:8: warning stripe-live-key\n")
        .contains("deploy.sh:9:7: warning slack-token\n")
        .doesNotContain("github-token")
        .doesNotContain("deploy.sh:7:");
    assertThat(only.code()).as(only.err()).isEqualTo(3);
    assertThat(only.out()).doesNotContain("managed-value").contains("aws-access-key-id");
    assertThat(none.out().lines())
        .containsExactly("deploy.sh:3:5: error managed-value scan/pat/KEY#1 (current)");
    assertThat(all.all() + only.all()).doesNotContain(CANARY).doesNotContain("hunter2");
  }

  @Test
  void sarif_hasOneRulePerKindAndFingerprintsWithoutTheValue() throws Exception {
    String value = CANARY + "-sarif-value";
    put("scan/sarif/KEY", value);
    write(tree.resolve("a b/app.env"), "KEY=" + value + "\nAWS=AKIAIOSFODNN7EXAMPLE\n");
    Path report = tree.resolve("out.sarif");

    Run r =
        run(
            tree,
            "scan",
            "--prefix",
            "scan/sarif",
            "--format",
            "sarif",
            "--out",
            "out.sarif",
            "a b");

    assertThat(r.code()).as(r.err()).isEqualTo(3);
    String text = Files.readString(report);
    assertThat(text).doesNotContain(CANARY);
    JsonNode doc = WireJson.mapper().readTree(text);
    assertThat(doc.get("version").stringValue()).isEqualTo("2.1.0");
    JsonNode run = doc.get("runs").get(0);
    List<String> rules = new ArrayList<>();
    run.get("tool")
        .get("driver")
        .get("rules")
        .forEach(rule -> rules.add(rule.get("id").stringValue()));
    assertThat(rules)
        .containsExactly(
            "managed-value",
            "aws-access-key-id",
            "github-token",
            "slack-token",
            "stripe-live-key",
            "private-key",
            "django-insecure-key",
            "url-password");
    JsonNode first = run.get("results").get(0);
    assertThat(first.get("ruleId").stringValue()).isEqualTo("managed-value");
    assertThat(first.get("level").stringValue()).isEqualTo("error");
    assertThat(
            first
                .get("locations")
                .get(0)
                .get("physicalLocation")
                .get("artifactLocation")
                .get("uri")
                .stringValue())
        .isEqualTo("a%20b/app.env");
    assertThat(first.get("partialFingerprints").get("keyturnFinding/v1").stringValue()).hasSize(64);
    assertThat(run.get("results").get(1).get("level").stringValue()).isEqualTo("warning");
    SarifValidator.assertValid(report);
  }

  @Test
  void rotateYes_rotatesALeakedCurrentValueRetiresTheOldOneAndAuditsTheReason() throws Exception {
    String name = "scan/rot/WEBHOOK";
    Run put = run(work, "put", name, "--generate", "hex:32");
    assertThat(put.code()).as(put.err()).isZero();
    Run rule = run(work, "rotation", "set", name, "--generate", "hex:32", "--every", "90d");
    assertThat(rule.code()).as(rule.err()).isZero();
    Run get = run(work, "get", name);
    String leaked = get.out().strip();
    write(tree.resolve("ci/deploy.yml"), "env:\n  WEBHOOK: " + leaked + "\n");

    Run refused = run(tree, "scan", "--prefix", "scan/rot", "--rotate");
    Run r = run(tree, "scan", "--prefix", "scan/rot", "--rotate", "--yes");

    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err()).contains("--yes");
    assertThat(r.code()).as(r.err()).isEqualTo(3);
    assertThat(r.out())
        .as("the report names the file that held the old version")
        .contains("ci/deploy.yml:2:12: error managed-value " + name + "#1 (current)");
    assertThat(r.err()).contains(name + ": emergency rotation").contains("finished");
    String fresh = run(work, "get", name).out().strip();
    assertThat(fresh).hasSize(leaked.length()).isNotEqualTo(leaked);
    Run history = run(work, "history", name, "--json");
    JsonNode versions = WireJson.mapper().readTree(history.out());
    Map<Integer, String> stages = new HashMap<>();
    for (JsonNode v : versions.get("versions")) {
      stages.put(v.get("version").intValue(), v.get("stage").stringValue());
    }
    assertThat(stages).containsEntry(1, "retired").containsEntry(2, "current");
    Run audit = run(work, "audit", "--secret", name, "--json");
    assertThat(audit.out()).contains("scan ci/deploy.yml:2");
    Run again = run(tree, "scan", "--prefix", "scan/rot");
    assertThat(again.code())
        .as("the file holds neither the new current value nor a managed old one")
        .isZero();
    assertThat(r.all() + refused.all() + audit.all() + again.all())
        .doesNotContain(leaked)
        .doesNotContain(fresh);
  }

  @Test
  void rotateYes_retiresAFoundPreviousVersionAndLeavesTheCurrentOne() throws Exception {
    String name = "scan/prev/HMAC";
    assertThat(run(work, "put", name, "--generate", "hex:32").code()).isZero();
    Run rule =
        run(
            work,
            "rotation",
            "set",
            name,
            "--generate",
            "hex:32",
            "--every",
            "90d",
            "--grace",
            "24h");
    assertThat(rule.code()).as(rule.err()).isZero();
    String old = run(work, "get", name).out().strip();
    Run rotate = run(work, "rotate", name);
    assertThat(rotate.code()).as(rotate.err()).isZero();
    assertThat(stages(name)).containsEntry(1, "previous").containsEntry(2, "current");
    write(tree.resolve("old.env"), "HMAC=" + old + "\n");

    Run r = run(tree, "scan", "--prefix", "scan/prev", "--rotate", "--yes");

    assertThat(r.code()).as(r.err()).isEqualTo(3);
    assertThat(r.err()).contains(name + "#1 (previous): retired");
    assertThat(stages(name))
        .as("the old version is retired, the current one is not rotated")
        .containsExactlyInAnyOrderEntriesOf(Map.of(1, "retired", 2, "current"));
    assertThat(r.all()).doesNotContain(old);
  }

  @Test
  void rotateYes_cancelsTheRotationOfAFoundPendingVersionAndStartsAnEmergencyOne()
      throws Exception {
    String name = "scan/pend/JWT_KEY";
    assertThat(run(work, "put", name, "--generate", "hex:32").code()).isZero();
    Run rule =
        run(
            work,
            "rotation",
            "set",
            name,
            "--generate",
            "hex:32",
            "--every",
            "90d",
            "--grace",
            "1h",
            "--propagation",
            "1h");
    assertThat(rule.code()).as(rule.err()).isZero();
    Run started = run(work, "rotate", name, "--detach");
    assertThat(started.code()).as(started.err()).isZero();
    awaitStage(name, 2, "pending");
    String pending = run(work, "get", name, "--version", "2").out().strip();
    write(tree.resolve("k8s/secret.yaml"), "data:\n  key: " + pending + "\n");

    Run r = run(tree, "scan", "--prefix", "scan/pend", "--rotate", "--yes");

    assertThat(r.code()).as(r.err()).isEqualTo(3);
    assertThat(r.err())
        .contains(name + "#2 (pending): rotation")
        .contains("cancelled")
        .contains(name + ": emergency rotation")
        .contains("finished");
    Map<Integer, String> stages = stages(name);
    assertThat(stages.get(2))
        .as("the leaked pending value never becomes current")
        .isEqualTo("retired");
    assertThat(stages.get(3)).isEqualTo("current");
    assertThat(stages.get(1)).isNotEqualTo("current");
    assertThat(r.all()).doesNotContain(pending);
  }

  @Test
  void rotateYes_listsWhatAPersonMustRunForManualAndRulelessSecretsAndGoesOn() throws Exception {
    String manual = "scan/hand/SMTP_PASSWORD";
    String ruleless = "scan/hand/LEGACY_TOKEN";
    String rotated = "scan/hand/WEBHOOK";
    put(manual, "Xq7vR2mK9pL4sT8wZ3nB6cF1hJ5dG0yE-manual");
    put(ruleless, "Mb4nV8cX2zL6kJ0hG5fD9sA3pO7iU1yT-legacy");
    assertThat(run(work, "put", rotated, "--generate", "hex:32").code()).isZero();
    Run manualRule =
        run(work, "rotation", "set", manual, "--generate", "manual", "--strategy", "manual");
    assertThat(manualRule.code()).as(manualRule.err()).isZero();
    Run rule = run(work, "rotation", "set", rotated, "--generate", "hex:32", "--every", "90d");
    assertThat(rule.code()).as(rule.err()).isZero();
    String webhook = run(work, "get", rotated).out().strip();
    write(
        tree.resolve("leak.env"),
        "SMTP_PASSWORD=Xq7vR2mK9pL4sT8wZ3nB6cF1hJ5dG0yE-manual\n"
            + "LEGACY_TOKEN=Mb4nV8cX2zL6kJ0hG5fD9sA3pO7iU1yT-legacy\n"
            + "WEBHOOK="
            + webhook
            + "\n");

    Run r = run(tree, "scan", "--prefix", "scan/hand", "--rotate", "--yes");

    assertThat(r.code()).as(r.err()).isEqualTo(3);
    assertThat(r.err())
        .contains(manual + ": rotated by hand; run: keyturn rotate " + manual + " --emergency")
        .contains(ruleless + ": has no rotation rule; store a new value")
        .contains(rotated + ": emergency rotation")
        .contains("finished");
    assertThat(stages(manual)).containsExactlyEntriesOf(Map.of(1, "current"));
    assertThat(stages(ruleless)).containsExactlyEntriesOf(Map.of(1, "current"));
    assertThat(stages(rotated)).containsEntry(2, "current");
    assertThat(r.all())
        .doesNotContain("Xq7vR2mK9pL4sT8wZ3nB6cF1hJ5dG0yE")
        .doesNotContain("Mb4nV8cX2zL6kJ0hG5fD9sA3pO7iU1yT")
        .doesNotContain(webhook);
  }

  @Test
  void rotateYes_withoutTheRotateGrant_reportsTheRefusalAndRotatesNothing() throws Exception {
    String name = "scan/nogrant/API_KEY";
    assertThat(run(work, "put", name, "--generate", "hex:32").code()).isZero();
    Run rule = run(work, "rotation", "set", name, "--generate", "hex:32", "--every", "90d");
    assertThat(rule.code()).as(rule.err()).isZero();
    String value = run(work, "get", name).out().strip();
    write(tree.resolve("app.env"), "API_KEY=" + value + "\n");
    Run token = run(work, "token", "create", "--allow", "read:scan/nogrant/*", "--ttl", "1h");
    assertThat(token.code()).as(token.err()).isZero();
    Path tokenFile = home.resolve("reader.token");
    Files.writeString(tokenFile, token.out().strip());

    Run r =
        runWith(
            tree,
            Map.of("KEYTURN_TOKEN_FILE", tokenFile.toString()),
            "scan",
            "--prefix",
            "scan/nogrant",
            "--rotate",
            "--yes");

    assertThat(r.code()).as(r.err()).isEqualTo(3);
    assertThat(r.err()).contains(name + ": emergency rotation refused");
    assertThat(stages(name)).containsExactlyEntriesOf(Map.of(1, "current"));
    assertThat(r.all()).doesNotContain(value);
  }

  private Map<Integer, String> stages(String name) throws Exception {
    Run history = run(work, "history", name, "--json");
    assertThat(history.code()).as(history.err()).isZero();
    Map<Integer, String> stages = new HashMap<>();
    for (JsonNode v : WireJson.mapper().readTree(history.out()).get("versions")) {
      stages.put(v.get("version").intValue(), v.get("stage").stringValue());
    }
    return stages;
  }

  private void awaitStage(String name, int version, String stage) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!stage.equals(stages(name).get(version))) {
      assertThat(System.nanoTime())
          .as(name + "#" + version + " never " + stage)
          .isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  @Test
  void otherPrefixOrNoReadGrant_findsNothingAndCountsUnreadable() throws Exception {
    String value = CANARY + "-other-prefix";
    put("scan/adv/KEY", value);
    write(tree.resolve("leak.txt"), value);
    Run token =
        run(
            work,
            "token",
            "create",
            "--allow",
            "read:elsewhere/*",
            "--allow",
            "list:*",
            "--ttl",
            "1h");
    assertThat(token.code()).as(token.err()).isZero();
    String other = token.out().strip();
    Path tokenFile = home.resolve("other.token");
    Files.writeString(tokenFile, other);

    Run r =
        runWith(
            tree,
            Map.of("KEYTURN_TOKEN_FILE", tokenFile.toString()),
            "scan",
            "--prefix",
            "scan/adv",
            "leak.txt");
    Run bad =
        runWith(tree, Map.of("KEYTURN_TOKEN", "kt_0000000000000000000000"), "scan", "leak.txt");
    Run noRepo = run(tree, "scan", "--git", tree.toString());
    Run hostile = run(tree, "scan", "--prefix", "../x'; --", "leak.txt");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("1 secrets not readable by this token");
    assertThat(bad.code()).isEqualTo(6);
    assertThat(noRepo.code()).isEqualTo(1);
    assertThat(noRepo.err()).contains("is no git repository");
    assertThat(hostile.code()).isEqualTo(1);
    assertThat(hostile.err().strip().lines()).hasSize(1);
    assertThat(r.all() + bad.all() + hostile.all()).doesNotContain(CANARY);
  }

  @Test
  void maxSize_skipsAndReportsBigFiles() throws Exception {
    put("scan/big/KEY", CANARY + "-big-file");
    write(tree.resolve("big.bin"), "y".repeat(5000) + CANARY + "-big-file");

    Run r = run(tree, "scan", "--prefix", "scan/big", "--max-size", "4K");
    Run bad = run(tree, "scan", "--max-size", "lots");

    assertThat(r.code()).isZero();
    assertThat(r.err()).contains("skipped: big.bin: larger than --max-size");
    assertThat(bad.code()).isEqualTo(2);
  }

  @Test
  void fastScan_answersAsThePicocliCommandDoesAndDeclinesTheRest() throws Exception {
    String value = CANARY + "-fast-path";
    put("scan/fast/KEY", value);
    put("scan/fast/PIN", "Zq8" + "Xw2Lq");
    put("scan/fast/TINY", "x7Q");
    write(tree.resolve("a/leak.txt"), "x = 1\nKEY='" + value + "'\n# Zq8" + "Xw2Lq\n");
    write(tree.resolve("big.bin"), "y".repeat(5000));
    List<List<String>> lines =
        List.of(
            List.of(
                "scan",
                "--prefix",
                "scan/fast",
                "--threads",
                "1",
                "--no-patterns",
                "--encodings",
                "raw",
                "--format",
                "json",
                "a"),
            List.of("scan", "--prefix", "scan/fast", "a", "big.bin", "--max-size", "4K"),
            List.of("scan", "--format", "sarif", "--prefix", "scan/fast", "--encodings", "raw,url"),
            List.of("scan", "--prefix", "scan/fast", "--no-patterns", "--addr", addr, "a"),
            List.of("scan", "--prefix", "scan/fast", "missing"),
            List.of("scan", "--prefix", "../x'; --", "a"));
    Map<String, String> badToken = Map.of("KEYTURN_TOKEN", "kt_0000000000000000000000");

    for (List<String> line : lines) {
      String[] args = line.toArray(String[]::new);
      Run fast = runFast(tree, Map.of(), args);
      Run picocli = run(tree, args);

      assertThat(fast.code()).as(line.toString()).isNotEqualTo(FastCli.DECLINED);
      assertThat(fast).as(line.toString()).isEqualTo(picocli);
      assertThat(fast.all()).doesNotContain(CANARY);
    }
    Run fastBad = runFast(tree, badToken, "scan", "a");
    assertThat(fastBad).isEqualTo(runWith(tree, badToken, "scan", "a"));
    assertThat(fastBad.code()).isEqualTo(6);
    for (String[] declined :
        List.of(
            new String[] {"scan", "--git"},
            new String[] {"scan", "--rotate", "--yes", "a"},
            new String[] {"scan", "--out", "report.txt", "a"},
            new String[] {"scan", "--patterns-only", "a"},
            new String[] {"scan", "--help"},
            new String[] {"scan", "--threads", "0", "a"},
            new String[] {"scan", "--format", "xml", "a"},
            new String[] {"scan", "--encodings", "hex", "a"},
            new String[] {"scan", "--max-size", "lots", "a"},
            new String[] {"scan", "--prefix=scan/fast", "a"},
            new String[] {"scan", "--no-patterns", "--no-patterns", "a"},
            new String[] {"scan", "@args.txt"})) {
      assertThat(runFast(tree, Map.of(), declined).code())
          .as(String.join(" ", declined))
          .isEqualTo(FastCli.DECLINED);
    }
  }
}
