package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyturn doctor} with a server: the mapping's checks and {@code --managed}. */
class ManagedDoctorTest {
  @TempDir static Path work;
  static DeliveryFixture fx;

  static final String PROD = "pr0d-CANARY-k3y!x@9#f$2%q^7&v*1(b)8_z=4+m-Qa7Lw2Xe9Rt";
  static final String DEV = "d3v-CANARY-k3y!x@9#f$2%q^7&v*1(b)8_z=4+m-Zu3Kp8Vn1Mc";
  static final String OLD = "0ld-CANARY-k3y!x@9#f$2%q^7&v*1(b)8_z=4+m-Hy6Gt5Fr4Ed";

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
    fx.put("app/production/SECRET_KEY", PROD);
    fx.put("app/development/SECRET_KEY", PROD);
    fx.put("app/development/API_TOKEN", "abc");
    fx.put("app/test/SECRET_KEY", DEV);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  private static Path env(String name, String text) throws Exception {
    Path file = work.resolve(name);
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  @Test
  void mapping_staleAndOtherSecretsValues_areErrors() throws Exception {
    env(".env.stale", "SECRET_KEY=" + OLD + "\n");
    env(".env.swapped", "SECRET_KEY=" + DEV + "\n");
    env(".env.fine", "SECRET_KEY=" + PROD + "\n");
    String deploy = fx.token("read:app/production/*", "read:app/test/*");

    DeliveryFixture.Run stale =
        fx.inProcess(
            Map.of("KEYTURN_TOKEN", deploy),
            "doctor",
            ".env.stale",
            "--secret",
            "app/production/SECRET_KEY");
    DeliveryFixture.Run swapped =
        fx.inProcess(
            Map.of("KEYTURN_TOKEN", deploy),
            "doctor",
            ".env.swapped",
            "--secret",
            "app/production/SECRET_KEY",
            "--optional",
            "app/test/SECRET_KEY=TEST_KEY");
    DeliveryFixture.Run fine =
        fx.inProcess(
            Map.of("KEYTURN_TOKEN", deploy),
            "doctor",
            ".env.fine",
            "--secret",
            "app/production/SECRET_KEY");

    assertThat(stale.code()).as(stale.out() + stale.err()).isEqualTo(ExitCode.FOUND);
    assertThat(stale.out())
        .contains(
            "error value.not-current SECRET_KEY .env.stale:1: differs from the current version of app/production/SECRET_KEY");
    assertThat(swapped.code()).isEqualTo(ExitCode.FOUND);
    assertThat(swapped.out())
        .contains(
            "error value.other-secret SECRET_KEY .env.swapped:1: holds the value of managed secret app/test/SECRET_KEY, not of app/production/SECRET_KEY")
        .contains("warning var.optional-missing TEST_KEY");
    assertThat(fine.code()).as(fine.out()).isEqualTo(ExitCode.OK);
    assertThat(fine.out()).doesNotContain("skipped value.not-current");
    for (DeliveryFixture.Run r : new DeliveryFixture.Run[] {stale, swapped, fine}) {
      assertThat(r.out() + r.err()).doesNotContain("CANARY");
    }
  }

  @Test
  void mapping_secretTheTokenMayNotRead_couldNotRun() throws Exception {
    env(".env.x", "SECRET_KEY=" + PROD + "\n");
    String devOnly = fx.token("read:app/development/*");

    DeliveryFixture.Run r =
        fx.inProcess(
            Map.of("KEYTURN_TOKEN", devOnly),
            "doctor",
            ".env.x",
            "--secret",
            "app/production/SECRET_KEY");

    assertThat(r.code()).isEqualTo(ExitCode.ERROR);
    assertThat(r.err())
        .contains("could not run")
        .contains("app/production/SECRET_KEY")
        .doesNotContain("CANARY");
  }

  @Test
  void managed_reportsStoredWeakAndSharedValues_ofWhatTheTokenReads() {
    String appReader = fx.token("read:app/*");
    String devReader = fx.token("read:app/development/*");
    String lister = fx.token("list:app/*");

    DeliveryFixture.Run all =
        fx.inProcess(Map.of("KEYTURN_TOKEN", appReader), "doctor", "--managed=app", "--json");
    DeliveryFixture.Run dev =
        fx.inProcess(Map.of("KEYTURN_TOKEN", devReader), "doctor", "--managed");
    DeliveryFixture.Run listOnly =
        fx.inProcess(Map.of("KEYTURN_TOKEN", lister), "doctor", "--managed=app");

    assertThat(all.code()).as(all.err()).isEqualTo(ExitCode.FOUND);
    assertThat(all.out())
        .contains(
            "\"check\":\"value.duplicate\",\"level\":\"error\",\"variable\":\"SECRET_KEY\",\"location\":\"app/production/SECRET_KEY#1\"")
        .contains("\"message\":\"the same value as app/development/SECRET_KEY;")
        .contains(
            "\"check\":\"value.weak-bits\",\"level\":\"error\",\"variable\":\"API_TOKEN\",\"location\":\"app/development/API_TOKEN#1\"")
        .doesNotContain("app/test/SECRET_KEY#");
    assertThat(dev.code()).isEqualTo(ExitCode.FOUND);
    assertThat(dev.out())
        .contains("value.weak-bits API_TOKEN")
        .doesNotContain("value.duplicate")
        .doesNotContain("app/production");
    assertThat(listOnly.out()).doesNotContain("app/development");
    assertThat(listOnly.code()).isIn(ExitCode.OK, ExitCode.REFUSED, ExitCode.ERROR);
    for (DeliveryFixture.Run r : new DeliveryFixture.Run[] {all, dev, listOnly}) {
      assertThat(r.out() + r.err()).doesNotContain("CANARY");
    }
  }
}
