package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyturn keyring}, {@code hmac} and {@code fernet} in-process against a real server,
 * checked against openssl and Python {@code cryptography}, with the adversary cases: a token
 * without {@code read} on the name, the right capability on another name, hostile names and inputs.
 */
class KeyringCommandsTest {
  private static final String OLD = "canary-hmac-old-5f1e";
  private static final String NEW = "canary-hmac-new-9a2c";
  private static final String FERNET_OLD =
      dev.keyturn.keyring.FernetKeyring.generateKey(new SecureRandom());
  private static final String FERNET_NEW =
      dev.keyturn.keyring.FernetKeyring.generateKey(new SecureRandom());

  @TempDir static Path work;
  private static DeliveryFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
    fx.put("hooks/prod/REVALIDATE_SECRET", OLD);
    fx.put("hooks/prod/REVALIDATE_SECRET", NEW, "24h", null);
    fx.put("hooks/prod/FERNET_KEY", FERNET_OLD);
    fx.put("hooks/prod/FERNET_KEY", FERNET_NEW, "24h", null);
    fx.put("hooks/prod/NOT_FERNET", "canary-not-fernet-31");
    fx.admin.put(
        "hooks/prod/JSON",
        new dev.keyturn.api.PutSecretRequest(
            null,
            dev.keyturn.api.WireJson.mapper().readTree("{\"k\":\"canary-json-44\"}"),
            null,
            null,
            null));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  record Run(int code, byte[] out, String err) {
    String text() {
      return new String(out, StandardCharsets.UTF_8);
    }
  }

  private static Run run(byte[] stdin, Map<String, String> env, String... args) {
    return run(null, stdin, env, args);
  }

  /** {@code keyturn ARGS}: both paths when {@code fast} is null, else only the one it names. */
  private static Run run(Boolean fast, byte[] stdin, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> all = new HashMap<>(Map.of("KEYTURN_ADDR", fx.addr));
    all.putAll(env);
    Io io =
        new Io(
            new ByteArrayInputStream(stdin),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            all,
            work.resolve("home"),
            work,
            false);
    int code =
        fast == null
            ? FastCli.dispatch(io, args)
            : fast ? FastCli.run(io, args) : KeyturnCli.run(io, args);
    String errText = err.toString(StandardCharsets.UTF_8);
    for (String canary :
        List.of(OLD, NEW, FERNET_OLD, FERNET_NEW, "canary-not-fernet", "canary-json")) {
      assertThat(errText).doesNotContain(canary);
    }
    return new Run(code, out.toByteArray(), errText);
  }

  private static Run run(byte[] stdin, String... args) {
    return run(stdin, Map.of(), args);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String openssl(String key, String algorithm, byte[] body, boolean base64)
      throws Exception {
    Path keyFile = Files.createTempFile(work, "key", "");
    Path bodyFile = Files.createTempFile(work, "body", "");
    Files.writeString(keyFile, key);
    Files.write(bodyFile, body);
    String pipe = base64 ? " -binary \"$3\" | base64 -w0" : " -r \"$3\" | cut -d' ' -f1";
    Process p =
        new ProcessBuilder(
                "sh",
                "-c",
                "openssl dgst -" + algorithm + " -hmac \"$(cat \"$1\")\"" + pipe,
                "sh",
                keyFile.toString(),
                algorithm,
                bodyFile.toString())
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor()).isZero();
    return out;
  }

  @Test
  void keyring_printsVersionsNewestFirst_andJson() {
    Run table = run(new byte[0], "keyring", "hooks/prod/REVALIDATE_SECRET");
    Run json = run(new byte[0], "keyring", "hooks/prod/REVALIDATE_SECRET", "--json");

    assertThat(table.code()).as(table.err()).isZero();
    List<String> lines = table.text().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).matches("VERSION +STAGE +ACCEPT UNTIL +VALUE");
    assertThat(lines.get(1)).matches("2 +current +- +" + NEW);
    assertThat(lines.get(2)).matches("1 +previous +20[0-9T:.Z-]+ +" + OLD);
    assertThat(json.code()).isZero();
    assertThat(json.text())
        .startsWith("{\"name\":\"hooks/prod/REVALIDATE_SECRET\",\"versions\":[{\"version\":2,")
        .contains("\"value\":\"" + OLD + "\"")
        .contains("\"stage\":\"previous\"")
        .contains("\"accept_until\":\"");
  }

  @Test
  void hmacSign_isOpensslDgst_inEveryEncodingAndAlgorithm() throws Exception {
    byte[] body = bytes("{\"path\":\"/blog\"}\r\n\n");
    Path file = work.resolve("body.json");
    Files.write(file, body);
    String name = "hooks/prod/REVALIDATE_SECRET";

    Run hex = run(body, "hmac", "sign", name, "--stdin");
    Run fromFile = run(new byte[0], "hmac", "sign", name, "--file", "body.json");
    Run b64 =
        run(body, "hmac", "sign", name, "--stdin", "--algorithm", "sha512", "--encoding", "base64");
    Run url =
        run(
            body,
            "hmac",
            "sign",
            name,
            "--stdin",
            "--algorithm",
            "SHA384",
            "--encoding",
            "base64url");

    assertThat(hex.code()).as(hex.err()).isZero();
    assertThat(hex.text()).isEqualTo(openssl(NEW, "sha256", body, false) + "\n");
    assertThat(fromFile.text()).isEqualTo(hex.text());
    assertThat(b64.text()).isEqualTo(openssl(NEW, "sha512", body, true) + "\n");
    String std = openssl(NEW, "sha384", body, true);
    assertThat(url.text())
        .isEqualTo(std.replace('+', '-').replace('/', '_').replace("=", "") + "\n");
  }

  @Test
  void hmacVerify_findsThePreviousVersion_elseExit3_malformedExit2() throws Exception {
    byte[] body = bytes("payload\n");
    String name = "hooks/prod/REVALIDATE_SECRET";
    String byOld = openssl(OLD, "sha256", body, false);
    String byOldBase64 = openssl(OLD, "sha256", body, true);
    String byOther = openssl("someone-else", "sha256", body, false);

    Run old = run(body, "hmac", "verify", name, byOld, "--stdin");
    Run oldJson = run(body, "hmac", "verify", name, byOldBase64, "--stdin", "--json");
    Run none = run(body, "hmac", "verify", name, byOther, "--stdin");
    Run trimmed = run(bytes("payload"), "hmac", "verify", name, byOld, "--stdin");
    Run malformed = run(body, "hmac", "verify", name, "abc;rm -rf", "--stdin");
    Run wrongLength = run(body, "hmac", "verify", name, byOld, "--stdin", "--algorithm", "sha512");

    assertThat(old.code()).as(old.err()).isZero();
    assertThat(old.text()).isEqualTo("valid: " + name + " version 1 (previous)\n");
    assertThat(oldJson.text())
        .isEqualTo(
            "{\"name\":\"" + name + "\",\"valid\":true,\"version\":1,\"stage\":\"previous\"}\n");
    assertThat(none.code()).isEqualTo(3);
    assertThat(none.err())
        .isEqualTo("keyturn: " + name + ": the signature matches no version of the keyring\n");
    assertThat(trimmed.code()).isEqualTo(3);
    assertThat(malformed.code()).isEqualTo(2);
    assertThat(malformed.err())
        .isEqualTo(
            "keyturn: malformed signature: HMAC-SHA256 needs 64 hex digits or the base64 of 32 bytes\n");
    assertThat(wrongLength.code()).isEqualTo(2);
  }

  @Test
  void hmac_jsonValuedSecret_isAnErrorNamingTheVersion() {
    Run sign = run(bytes("x"), "hmac", "sign", "hooks/prod/JSON", "--stdin");

    assertThat(sign.code()).isEqualTo(1);
    assertThat(sign.err())
        .isEqualTo(
            "keyturn: hooks/prod/JSON#1 (current) is a JSON value; an HMAC key is a string\n");
  }

  @Test
  void fernet_roundTrips_opensPythonTokens_andRefusesBadOnesWithInvalidTokenOnly()
      throws Exception {
    String name = "hooks/prod/FERNET_KEY";
    byte[] plain = bytes("row 17: api credential\n");
    String python = pythonToken(FERNET_OLD, plain, 0);
    String expired = pythonToken(FERNET_OLD, plain, 3600);

    Run token = run(plain, "fernet", "encrypt", name, "--stdin");
    Run back = run(token.out(), "fernet", "decrypt", name, "--stdin");
    Run fromPython = run(bytes(python + "\n"), "fernet", "decrypt", name, "--stdin", "--ttl", "5m");
    Run tooOld = run(bytes(expired), "fernet", "decrypt", name, "--stdin", "--ttl", "30m");
    Run stillOk = run(bytes(expired), "fernet", "decrypt", name, "--stdin");
    Run garbage = run(bytes("gAAAA;DROP TABLE x\r\n"), "fernet", "decrypt", name, "--stdin");
    Run notFernet = run(plain, "fernet", "encrypt", "hooks/prod/NOT_FERNET", "--stdin");

    assertThat(token.code()).as(token.err()).isZero();
    assertThat(token.text()).matches("gAAAAA[A-Za-z0-9_=-]+\n");
    assertThat(back.out()).isEqualTo(plain);
    assertThat(fromPython.code()).as(fromPython.err()).isZero();
    assertThat(fromPython.out()).isEqualTo(plain);
    assertThat(tooOld.code()).isEqualTo(3);
    assertThat(tooOld.err()).isEqualTo("keyturn: invalid token\n");
    assertThat(tooOld.out()).isEmpty();
    assertThat(stillOk.out()).isEqualTo(plain);
    assertThat(garbage.code()).isEqualTo(3);
    assertThat(garbage.err()).isEqualTo("keyturn: invalid token\n");
    assertThat(notFernet.code()).isEqualTo(1);
    assertThat(notFernet.err())
        .isEqualTo(
            "keyturn: hooks/prod/NOT_FERNET#1 (current) is not a Fernet key (32 bytes in URL-safe"
                + " base64, 44 characters)\n");
  }

  /** A token Python makes under {@code key}, {@code age} seconds ago. */
  private static String pythonToken(String key, byte[] plain, int age) throws Exception {
    Process p =
        new ProcessBuilder(
                "python3",
                "-c",
                "import sys, time; from cryptography.fernet import Fernet;"
                    + " print(Fernet(sys.argv[1]).encrypt_at_time(sys.stdin.buffer.read(),"
                    + " int(time.time()) - int(sys.argv[2])).decode())",
                key,
                Integer.toString(age))
            .start();
    p.getOutputStream().write(plain);
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
    assertThat(p.waitFor()).isZero();
    return out;
  }

  @Test
  void adversary_noReadOnTheName_orReadOnAnother_isRefused() {
    String lister = fx.token("list:hooks/*");
    String otherReader = fx.token("read:other/*");
    String rightReader = fx.token("read:hooks/prod/REVALIDATE_SECRET");

    for (String token : List.of(lister, otherReader)) {
      Map<String, String> env = Map.of("KEYTURN_TOKEN", token);
      for (String[] args :
          List.of(
              new String[] {"keyring", "hooks/prod/REVALIDATE_SECRET"},
              new String[] {"hmac", "sign", "hooks/prod/REVALIDATE_SECRET", "--stdin"},
              new String[] {
                "hmac", "verify", "hooks/prod/REVALIDATE_SECRET", "0".repeat(64), "--stdin"
              },
              new String[] {"fernet", "encrypt", "hooks/prod/FERNET_KEY", "--stdin"},
              new String[] {"fernet", "decrypt", "hooks/prod/FERNET_KEY", "--stdin"})) {
        Run r = run(bytes("x"), env, args);

        assertThat(r.code()).as(String.join(" ", args)).isEqualTo(ExitCode.REFUSED);
        assertThat(r.err()).startsWith("keyturn: ").endsWith("\n");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.out()).isEmpty();
      }
    }
    Run allowed =
        run(
            bytes("x"),
            Map.of("KEYTURN_TOKEN", rightReader),
            "hmac",
            "sign",
            "hooks/prod/REVALIDATE_SECRET",
            "--stdin");
    Run elsewhere =
        run(
            bytes("x"),
            Map.of("KEYTURN_TOKEN", rightReader),
            "fernet",
            "encrypt",
            "hooks/prod/FERNET_KEY",
            "--stdin");
    assertThat(allowed.code()).as(allowed.err()).isZero();
    assertThat(elsewhere.code()).isEqualTo(ExitCode.REFUSED);
  }

  @Test
  void adversary_hostileNamesAndUsage_areOneLineErrors() {
    for (String name :
        List.of("../etc/passwd", "a;b", "a\r\nb", "hooks/prod/\"x\"", "a".repeat(300))) {
      Run r = run(bytes("x"), "hmac", "sign", name, "--stdin");

      assertThat(r.code()).as(name).isEqualTo(1);
      assertThat(r.err()).startsWith("keyturn: invalid secret name");
    }
    Run missing = run(bytes("x"), "keyring", "hooks/prod/NOPE");
    Run both =
        run(bytes("x"), "hmac", "sign", "hooks/prod/REVALIDATE_SECRET", "--stdin", "--file", "f");
    Run neither = run(bytes("x"), "fernet", "encrypt", "hooks/prod/FERNET_KEY");
    Run badAlg =
        run(
            bytes("x"),
            "hmac",
            "sign",
            "hooks/prod/REVALIDATE_SECRET",
            "--stdin",
            "--algorithm",
            "md5");
    Run noFile =
        run(bytes("x"), "hmac", "sign", "hooks/prod/REVALIDATE_SECRET", "--file", "../nope");
    Run badTtl =
        run(bytes("x"), "fernet", "decrypt", "hooks/prod/FERNET_KEY", "--stdin", "--ttl", "1w");

    assertThat(missing.code()).isEqualTo(ExitCode.NOT_FOUND);
    assertThat(both.code()).isEqualTo(ExitCode.USAGE);
    assertThat(neither.code()).isEqualTo(ExitCode.USAGE);
    assertThat(badAlg.code()).isEqualTo(ExitCode.USAGE);
    assertThat(noFile.code()).isEqualTo(1);
    assertThat(noFile.err()).isEqualTo("keyturn: cannot read ../nope: no such file\n");
    assertThat(badTtl.code()).isEqualTo(1);
  }

  @Test
  void fastPath_answersTheCommonForms_asPicocliDoes() throws Exception {
    String name = "hooks/prod/REVALIDATE_SECRET";
    byte[] body = bytes("payload\n");
    String byOld = openssl(OLD, "sha256", body, false);
    String token =
        run(bytes("x"), "fernet", "encrypt", "hooks/prod/FERNET_KEY", "--stdin").text().strip();
    String reader = fx.token("read:other/*");
    Files.write(work.resolve("payload.txt"), body);
    List<String[]> lines =
        List.of(
            new String[] {"keyring", name},
            new String[] {"keyring", "hooks/prod/JSON"},
            new String[] {"keyring", "hooks/prod/NOPE"},
            new String[] {"hmac", "sign", name, "--stdin"},
            new String[] {
              "hmac",
              "sign",
              name,
              "--file",
              "payload.txt",
              "--algorithm",
              "sha512",
              "--encoding",
              "base64url"
            },
            new String[] {"hmac", "sign", "hooks/prod/JSON", "--stdin"},
            new String[] {"hmac", "sign", "a;b", "--stdin"},
            new String[] {"hmac", "sign", name, "--file", "missing.txt"},
            new String[] {"hmac", "verify", name, byOld, "--stdin"},
            new String[] {"hmac", "verify", name, byOld, "--stdin", "--json"},
            new String[] {"hmac", "verify", name, "0".repeat(64), "--stdin", "--json"},
            new String[] {"hmac", "verify", name, "zz", "--stdin"},
            new String[] {"fernet", "decrypt", "hooks/prod/FERNET_KEY", "--stdin"},
            new String[] {"fernet", "decrypt", "hooks/prod/FERNET_KEY", "--stdin", "--ttl", "1h"},
            new String[] {"fernet", "decrypt", "hooks/prod/FERNET_KEY", "--stdin", "--ttl", "soon"},
            new String[] {"fernet", "encrypt", "hooks/prod/NOT_FERNET", "--stdin"},
            new String[] {"keyring", name, "--addr", fx.addr, "--insecure-http"});
    for (Map<String, String> env :
        List.of(Map.<String, String>of(), Map.of("KEYTURN_TOKEN", reader))) {
      for (String[] args : lines) {
        byte[] stdin = args[0].equals("fernet") ? bytes(token + "\n") : body;

        Run fast = run(true, stdin, env, args);
        Run full = run(false, stdin, env, args);

        String line = String.join(" ", args);
        assertThat(fast.code()).as("fast path declined " + line).isNotEqualTo(FastCli.DECLINED);
        assertThat(fast.out()).as(line).isEqualTo(full.out());
        assertThat(fast.err()).as(line).isEqualTo(full.err());
        assertThat(fast.code()).as(line).isEqualTo(full.code());
      }
    }
    Run encrypted =
        run(true, bytes("x"), Map.of(), "fernet", "encrypt", "hooks/prod/FERNET_KEY", "--stdin");
    assertThat(
            run(
                    false,
                    encrypted.out(),
                    Map.of(),
                    "fernet",
                    "decrypt",
                    "hooks/prod/FERNET_KEY",
                    "--stdin")
                .text())
        .isEqualTo("x");
  }

  @Test
  void fastPath_declinesUnusualForms_beforeReadingOrSending() {
    String name = "hooks/prod/REVALIDATE_SECRET";
    for (String[] args :
        List.of(
            new String[] {"keyring", name, "--json"},
            new String[] {"keyring", "--help"},
            new String[] {"--addr", "http://127.0.0.1:1", "keyring", name},
            new String[] {"hmac"},
            new String[] {"hmac", "sign", name},
            new String[] {"hmac", "sign", name, "--stdin", "--file", "x"},
            new String[] {"hmac", "sign", name, "--stdin", "--stdin"},
            new String[] {"hmac", "sign", name, "--stdin", "--algorithm", "md5"},
            new String[] {"hmac", "sign", name, "--stdin", "--algorithm=sha512"},
            new String[] {"hmac", "sign", "@args", "--stdin"},
            new String[] {"hmac", "verify", name, "--stdin", "--", "-abc"},
            new String[] {"fernet", "encrypt", name, "--stdin", "--ttl", "1h"})) {
      Run r = run(true, bytes("unread"), Map.of(), args);

      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(FastCli.DECLINED);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).isEmpty();
    }
  }
}
