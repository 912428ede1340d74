package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Generator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyturn doctor} on files, folders, units and its own environment, without a server. */
class DoctorCommandTest {
  @TempDir Path work;

  static final String PROD_CANARY = "pr0d-CANARY-k3y!x@9#f$2%q^7&v*1(b)8_z=4+m";

  private DeliveryFixture.Run doctor(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env,
            work.resolve("home"),
            work,
            false);
    List<String> all = new ArrayList<>(List.of("doctor"));
    all.addAll(List.of(args));
    int code = KeyturnCli.run(io, all.toArray(String[]::new));
    return new DeliveryFixture.Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private DeliveryFixture.Run doctor(String... args) {
    return doctor(Map.of(), args);
  }

  private Path write(String name, String text, String mode) throws Exception {
    Path file = work.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  @Test
  void envFile_placeholdersWeakAndMissing_areErrorsWithFileAndLine_neverValues() throws Exception {
    write(
        "app/.env",
        "# comment\n"
            + "SECRET_KEY=CHANGE_THIS_TO_A_RANDOM_SECRET_KEY_IN_PRODUCTION\n"
            + "export API_TOKEN='abc'\n"
            + "PAYSTACK_SECRET_KEY=<your-paystack-key>\n"
            + "DB_PASSWORD=\""
            + PROD_CANARY
            + "\"\n"
            + "EMPTY_ONE=\n",
        "rw-------");

    DeliveryFixture.Run r =
        doctor(
            "app/.env", "--var", "SECRET_KEY", "--var", "EMPTY_ONE", "--var", "DB_HOST", "--json");

    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.FOUND);
    assertThat(r.out())
        .contains(
            "{\"check\":\"value.placeholder\",\"level\":\"error\",\"variable\":\"SECRET_KEY\",\"location\":\"app/.env:2\"")
        .contains(
            "\"check\":\"value.short-secret-key\",\"level\":\"error\",\"variable\":\"SECRET_KEY\"")
        .contains(
            "\"check\":\"value.weak-bits\",\"level\":\"error\",\"variable\":\"API_TOKEN\",\"location\":\"app/.env:3\"")
        .contains(
            "\"check\":\"value.few-characters\",\"level\":\"error\",\"variable\":\"API_TOKEN\"")
        .contains(
            "\"check\":\"value.angle-brackets\",\"level\":\"error\",\"variable\":\"PAYSTACK_SECRET_KEY\",\"location\":\"app/.env:4\"")
        .contains(
            "\"check\":\"var.empty\",\"level\":\"error\",\"variable\":\"EMPTY_ONE\",\"location\":\"app/.env:6\"")
        .contains("\"check\":\"var.missing\",\"level\":\"error\",\"variable\":\"DB_HOST\"")
        .contains("{\"check\":\"value.not-current\",\"reason\"")
        .doesNotContain("DB_PASSWORD\"")
        .doesNotContain("CHANGE_THIS")
        .doesNotContain("paystack-key")
        .doesNotContain("CANARY");
    assertThat(r.err()).doesNotContain("CANARY");
  }

  @Test
  void folder_readsItsEnvFiles_sharedKeysModesAndTemplates() throws Exception {
    write("site/.env.production", "SECRET_KEY=" + PROD_CANARY + "\n", "rw-r--r--");
    write("site/.env.development", "SECRET_KEY=" + PROD_CANARY + "\n", "rw-------");
    write("site/.env.example", "SECRET_KEY=changeme\n", "rw-r--r--");
    write("site/settings.py", "SECRET_KEY='changeme'\n", "rw-r--r--");

    DeliveryFixture.Run r = doctor("site");

    assertThat(r.code()).isEqualTo(ExitCode.FOUND);
    assertThat(r.out())
        .contains("error file.mode site/.env.production: mode rw-r--r--")
        .contains(
            "error value.duplicate SECRET_KEY site/.env.development:1: the same value as SECRET_KEY"
                + " at site/.env.production:1")
        .contains("error value.duplicate SECRET_KEY site/.env.production:1")
        .doesNotContain(".env.example")
        .doesNotContain("settings.py")
        .doesNotContain("CANARY")
        .contains("skipped value.not-current");
  }

  @Test
  void unit_environmentFileAndInlineSecrets() throws Exception {
    Path env = write("etc/app.env", "DB_PASSWORD=" + PROD_CANARY + "\n", "rw-------");
    write(
        "etc/app.service",
        "[Unit]\nDescription=x\n\n[Service]\n"
            + "EnvironmentFile="
            + env
            + "\n"
            + "EnvironmentFile=-/nonexistent/optional.env\n"
            + "EnvironmentFile=/nonexistent/required.env\n"
            + "Environment=\"API_TOKEN="
            + PROD_CANARY
            + "\" PORT=8000\n"
            + "ExecStart=/usr/bin/true\n",
        "rw-r--r--");

    DeliveryFixture.Run r = doctor("etc/app.service", "--var", "PORT", "--var", "DB_PASSWORD");

    assertThat(r.code()).isEqualTo(ExitCode.FOUND);
    assertThat(r.out())
        .contains("error unit.inline-secret API_TOKEN etc/app.service:8")
        .contains("error unit.env-file-missing etc/app.service:7")
        .doesNotContain("optional.env")
        .doesNotContain("var.missing")
        .doesNotContain("error file.mode etc/app.env")
        .contains(
            "value.duplicate API_TOKEN etc/app.service:8: the same value as DB_PASSWORD at etc/app.env:1")
        .doesNotContain("CANARY");
  }

  @Test
  void fileVariables_targetsAreCheckedAndRead() throws Exception {
    Path open = write("run/db_password", PROD_CANARY + "\n", "rw-r--r--");
    Path empty = write("run/empty", "", "rw-------");
    write(
        ".env.files",
        "DB_PASSWORD_FILE="
            + open
            + "\nAPI_TOKEN_FILE="
            + empty
            + "\nSECRET_KEY_FILE=/nonexistent/key\nJWT_SECRET=x\nJWT_SECRET_FILE="
            + open
            + "\n",
        "rw-------");

    DeliveryFixture.Run r = doctor(".env.files", "--var", "DB_PASSWORD");

    assertThat(r.code()).isEqualTo(ExitCode.FOUND);
    assertThat(r.out())
        .contains("error file.mode DB_PASSWORD run/db_password")
        .contains("error file-var.empty API_TOKEN .env.files:2")
        .contains("error file-var.missing SECRET_KEY .env.files:3")
        .contains("warning var.file-and-value JWT_SECRET .env.files:5")
        .contains("error value.duplicate DB_PASSWORD run/db_password: the same value as JWT_SECRET")
        .doesNotContain("error var.missing")
        .doesNotContain("_FILE .env.files")
        .doesNotContain("CANARY");
  }

  @Test
  void ownEnvironment_andExtraPlaceholderPattern() {
    DeliveryFixture.Run r =
        doctor(
            Map.of("SECRET_KEY", "changeme", "API_TOKEN", "fixme-" + PROD_CANARY, "HOME", "/root"),
            "--env",
            "--placeholder",
            "^fixme-",
            "--optional-var",
            "SENTRY_DSN");

    assertThat(r.code()).isEqualTo(ExitCode.FOUND);
    assertThat(r.out())
        .contains("error value.placeholder SECRET_KEY env:SECRET_KEY")
        .contains("error value.placeholder-pattern API_TOKEN env:API_TOKEN")
        .contains("warning var.optional-missing SENTRY_DSN the environment")
        .doesNotContain("CANARY")
        .doesNotContain("changeme");
  }

  @Test
  void exitCodes_usageAndCouldNotRun() throws Exception {
    DeliveryFixture.Run none = doctor();
    DeliveryFixture.Run badRegex = doctor("--env", "--placeholder", "(");
    DeliveryFixture.Run badVar = doctor("--env", "--var", "A;B");
    DeliveryFixture.Run missing = doctor("no/such/file");
    DeliveryFixture.Run unknown = doctor("--frobnicate");
    write(".env.ok", "API_TOKEN=" + PROD_CANARY + "\n", "rw-------");
    DeliveryFixture.Run ok = doctor(".env.ok");

    assertThat(none.code()).isEqualTo(ExitCode.USAGE);
    assertThat(badRegex.code()).isEqualTo(ExitCode.USAGE);
    assertThat(badVar.code()).isEqualTo(ExitCode.USAGE);
    assertThat(unknown.code()).isEqualTo(ExitCode.USAGE);
    assertThat(missing.code()).isEqualTo(ExitCode.ERROR);
    assertThat(missing.err()).contains("no/such/file");
    assertThat(ok.code()).as(ok.out()).isEqualTo(ExitCode.OK);
    assertThat(ok.out()).contains("0 error(s)").doesNotContain("CANARY");
  }

  @Test
  void generatedValues_pass() throws Exception {
    SecureRandom random = new SecureRandom();
    StringBuilder env = new StringBuilder();
    int n = 0;
    for (String spec :
        List.of("hex:32", "base64:32", "base64url:32", "fernet", "password:32", "uuid")) {
      for (int i = 0; i < 20; i++) {
        String value =
            new String(Generator.parse(spec).generate(random).reveal(), StandardCharsets.UTF_8);
        env.append("API_TOKEN_").append(n++).append("='").append(value).append("'\n");
      }
    }
    for (int i = 0; i < 20; i++) {
      String value =
          new String(Generator.parse("django").generate(random).reveal(), StandardCharsets.UTF_8);
      write(".env.k" + i, "SECRET_KEY='" + value + "'\n", "rw-------");
    }
    write(".env.generated", env.toString(), "rw-------");

    DeliveryFixture.Run r = doctor(".");

    assertThat(r.code()).as(r.out()).isEqualTo(ExitCode.OK);
  }
}
