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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runbook C's files as its authors wrote them (runbooks/C-fail-fast-backend.md): a placeholder key
 * in a 0644 {@code .env.production}, a {@code .env.development} sharing the production key, a unit
 * with {@code EnvironmentFile=}, in a git work tree; then fixed as the runbook asks, with only the
 * optional Hubtel and Paystack credentials missing: warnings, exit 0.
 */
class RunbookCDoctorTest {
  @TempDir Path work;

  private static final String[] EXPECTED = {
    "--var",
    "SECRET_KEY",
    "--var",
    "DB_NAME",
    "--var",
    "DB_USER",
    "--var",
    "DB_PASSWORD",
    "--var",
    "DB_HOST",
    "--var",
    "DB_PORT",
    "--optional-var",
    "HUBTEL_CLIENT_ID",
    "--optional-var",
    "HUBTEL_CLIENT_SECRET",
    "--optional-var",
    "PAYSTACK_SECRET_KEY"
  };

  @Test
  void runbookC_asWritten_thenFixed() throws Exception {
    Path app = work.resolve("pms-backend");
    Files.createDirectories(app);
    git(app, "init", "-q");
    Files.writeString(app.resolve(".gitignore"), ".env.production\n");
    // Step 2's OLD file and step 3's list, as written.
    Path production =
        write(
            app.resolve(".env.production"),
            "# Production settings\n"
                + "SECRET_KEY=CHANGE_THIS_TO_A_RANDOM_SECRET_KEY_IN_PRODUCTION\n"
                + "DB_NAME=poultry_db\n"
                + "DB_USER=<your-db-user>\n"
                + "DB_PASSWORD=<your-db-password>\n"
                + "DB_HOST=localhost\n"
                + "DB_PORT=5432\n"
                + "DEBUG=False\n"
                + "ALLOWED_HOSTS=yourdomain.com,www.yourdomain.com\n"
                + "HUBTEL_CLIENT_ID=<your-hubtel-client-id>\n"
                + "HUBTEL_CLIENT_SECRET=<your-hubtel-secret>\n"
                + "PAYSTACK_SECRET_KEY=<your-paystack-key>\n",
            "rw-r--r--");
    Path development =
        write(
            app.resolve(".env.development"),
            "SECRET_KEY=CHANGE_THIS_TO_A_RANDOM_SECRET_KEY_IN_PRODUCTION\n"
                + "DB_NAME=poultry_dev\nDB_USER=dev\nDB_PASSWORD=dev\nDB_HOST=localhost\n"
                + "DB_PORT=5432\nDEBUG=True\n",
            "rw-r--r--");
    Path unit =
        write(
            work.resolve("pms-backend.service"),
            "[Unit]\nDescription=PMS backend\n\n[Service]\nEnvironmentFile="
                + production
                + "\nExecStart=/path/to/pms-backend/venv/bin/gunicorn core.wsgi\n",
            "rw-r--r--");

    DeliveryFixture.Run before = doctor(app, unit);

    assertThat(before.code()).as(before.err()).isEqualTo(ExitCode.FOUND);
    assertThat(before.out())
        .contains("error file.mode pms-backend/.env.production")
        .contains("error file.mode pms-backend/.env.development")
        .contains("error value.placeholder SECRET_KEY pms-backend/.env.production:2")
        .contains("error value.angle-brackets DB_PASSWORD pms-backend/.env.production:5")
        .contains("error value.angle-brackets PAYSTACK_SECRET_KEY pms-backend/.env.production:12")
        .contains("error value.angle-brackets HUBTEL_CLIENT_SECRET pms-backend/.env.production:11")
        .contains(
            "error value.duplicate SECRET_KEY pms-backend/.env.development:1: the same value as"
                + " SECRET_KEY at pms-backend/.env.production:2")
        .contains("error value.weak-bits DB_PASSWORD pms-backend/.env.development:4")
        .contains("error git.not-ignored pms-backend/.env.development")
        .doesNotContain("git.not-ignored pms-backend/.env.production")
        .doesNotContain("CHANGE_THIS")
        .doesNotContain("your-");

    // Fixed as the runbook says: a new key per environment, a real database password, mode 600,
    // both files ignored by git, the optional credentials left out.
    SecureRandom random = new SecureRandom();
    write(
        production,
        "SECRET_KEY='"
            + gen("django", random)
            + "'\n"
            + "DB_NAME=poultry_db\nDB_USER=pms_app\n"
            + "DB_PASSWORD='"
            + gen("password:32", random)
            + "'\n"
            + "DB_HOST=localhost\nDB_PORT=5432\nDEBUG=False\n"
            + "ALLOWED_HOSTS=yourdomain.com,www.yourdomain.com\n",
        "rw-------");
    write(
        development,
        "SECRET_KEY='"
            + gen("django", random)
            + "'\n"
            + "DB_NAME=poultry_dev\nDB_USER=dev\nDB_PASSWORD='"
            + gen("password:32", random)
            + "'\n"
            + "DB_HOST=localhost\nDB_PORT=5432\nDEBUG=True\n",
        "rw-------");
    Files.writeString(app.resolve(".gitignore"), ".env.production\n.env.development\n");

    DeliveryFixture.Run after = doctor(app, unit);

    assertThat(after.code()).as(after.out()).isEqualTo(ExitCode.OK);
    assertThat(after.out().lines().filter(l -> l.startsWith("error "))).isEmpty();
    assertThat(after.out())
        .contains("warning var.optional-missing HUBTEL_CLIENT_ID pms-backend/.env.production")
        .contains("warning var.optional-missing PAYSTACK_SECRET_KEY pms-backend/.env.development")
        .contains("warning var.optional-missing HUBTEL_CLIENT_SECRET pms-backend.service")
        .contains("0 error(s)");
  }

  private DeliveryFixture.Run doctor(Path app, Path unit) {
    List<String> args =
        new ArrayList<>(
            List.of("doctor", work.relativize(app).toString(), work.relativize(unit).toString()));
    args.addAll(List.of(EXPECTED));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of(),
            work.resolve("home"),
            work,
            false);
    int code = KeyturnCli.run(io, args.toArray(String[]::new));
    return new DeliveryFixture.Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static String gen(String spec, SecureRandom random) {
    return new String(Generator.parse(spec).generate(random).reveal(), StandardCharsets.UTF_8);
  }

  private static Path write(Path file, String text, String mode) throws Exception {
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  private static void git(Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("git", "-C", dir.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).inheritIO().start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
  }
}
