package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FastRun} against {@link RunCommand}: for each command line, the same exit code, standard
 * error and child environment (the child writes it to a file), against a real server; and what it
 * declines, it declines before sending anything.
 */
class FastRunTest {
  @TempDir static Path work;
  static DeliveryFixture fx;
  static Map<String, String> env;

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
    fx.put("app/fast/SECRET_KEY", "old-key");
    fx.put("app/fast/SECRET_KEY", "new-key", "24h", null);
    fx.put("app/fast/API_TOKEN", "canary 'q' \"d\" $x ąę\nline2\n");
    fx.admin.put(
        "app/db/DATABASE",
        new PutSecretRequest(
            null,
            WireJson.mapper().readTree("{\"engine\":\"postgresql\",\"port\":5432}"),
            null,
            null,
            null));
    fx.put("app/bad/BAD-NAME", "x");
    env = new HashMap<>();
    env.put("KEYTURN_ADDR", fx.addr);
    env.put("KEYTURN_TOKEN", fx.token("read:app/fast/*", "read:app/db/*", "read:app/bad/*"));
    env.put("KEYTURN_TOKEN_FILE", "/nonexistent");
    env.put("API_TOKEN", "inherited");
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  record Outcome(int code, String err, String childEnv) {}

  private static Outcome run(boolean fast, Map<String, String> env, String... args)
      throws Exception {
    Path out = work.resolve("child.env");
    Files.deleteIfExists(out);
    String[] line = new String[args.length];
    for (int i = 0; i < args.length; i++) {
      line[i] = args[i].replace("OUT", out.toString());
    }
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8),
            env,
            work.resolve("home"),
            work,
            false);
    int code = fast ? FastCli.run(io, line) : KeyturnCli.run(io, line);
    assertThat(stdout.toString(StandardCharsets.UTF_8)).isEmpty();
    return new Outcome(
        code,
        stderr.toString(StandardCharsets.UTF_8),
        Files.exists(out) ? Files.readString(out) : null);
  }

  /** Asserts the fast path answers {@code args} exactly as picocli's {@code run} does. */
  private static Outcome same(Map<String, String> env, String... args) throws Exception {
    Outcome slow = run(false, env, args);
    Outcome fast = run(true, env, args);
    assertThat(fast).as(String.join(" ", args)).isEqualTo(slow);
    return fast;
  }

  @Test
  void answersAsRunCommand_values_keyring_json_exitCodes() throws Exception {
    String dump = "python3 -c 'import json,os; json.dump(dict(os.environ),open(\"OUT\",\"w\"))'";
    Outcome ok = same(env, "run", "--path", "app/fast", "--", "sh", "-c", dump + "; exit 3");
    assertThat(ok.code()).isEqualTo(3);
    assertThat(ok.childEnv())
        .contains("\"API_TOKEN\": \"canary 'q' \\\"d\\\" $x \\u0105\\u0119\\nline2\\n\"")
        .doesNotContain("KEYTURN_TOKEN");
    Outcome ring = same(env, "run", "--path=app/fast", "--keyring", "--", "sh", "-c", dump);
    assertThat(ring.childEnv()).contains("\"SECRET_KEY_FALLBACKS\": \"[\\\"old-key\\\"]\"");
    Outcome json = same(env, "run", "--path", "app/db", "--", "sh", "-c", dump);
    assertThat(json.childEnv()).contains("DATABASE");
    same(env, "run", "--path", "app/fast", "--path", "app/db", "--", "sh", "-c", dump);

    Outcome badName = same(env, "run", "--path", "app/bad", "--", "sh", "-c", dump);
    assertThat(badName.code()).isNotZero();
    assertThat(badName.childEnv()).isNull();
    // a folder the token may not read is an empty bundle, not a refusal (docs/api.md)
    Outcome empty = same(env, "run", "--path", "app/other", "--", "sh", "-c", dump);
    assertThat(empty.childEnv()).doesNotContain("SECRET_KEY");
    Map<String, String> away = new HashMap<>(env);
    away.put("KEYTURN_ADDR", "http://127.0.0.1:1");
    Outcome down = same(away, "run", "--path", "app/fast", "--", "sh", "-c", dump);
    assertThat(down.code()).isEqualTo(ExitCode.ERROR);
    assertThat(down.childEnv()).isNull();
    Outcome notFound = same(env, "run", "--path", "app/fast", "--", "no-such-cmd-x");
    assertThat(notFound.code()).isEqualTo(127);
    Map<String, String> denied = new HashMap<>(env);
    denied.put("KEYTURN_TOKEN", fx.token("read:app/db/*"));
    same(denied, "run", "--path", "app/fast", "--", "sh", "-c", dump);
  }

  @Test
  void declines_everythingElse_beforeSendingAnything() throws Exception {
    for (List<String> line :
        List.of(
            List.of("run", "--secret", "app/fast/API_TOKEN", "--", "true"),
            List.of("run", "--path", "app/fast", "--files", "--", "true"),
            List.of("run", "--path", "app/fast", "--watch", "--", "true"),
            List.of("run", "--path", "app/fast", "true"),
            List.of("run", "--path", "app/fast", "--"),
            List.of("run", "--", "true"),
            List.of("run", "--path", "@file", "--", "true"),
            List.of("run", "--path", "app/fast", "--", "cat", "@file"),
            List.of("run", "--keyring", "--keyring", "--path", "app/fast", "--", "true"),
            List.of("run", "--help"))) {
      Outcome o = run(true, env, line.toArray(String[]::new));
      assertThat(o.code()).as(line.toString()).isEqualTo(FastCli.DECLINED);
      assertThat(o.err()).isEmpty();
    }
  }
}
