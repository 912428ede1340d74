package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.cli.delivery.Consumers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyturn render} against a real server, as a deploy token with read on one folder. */
class RenderCommandTest {
  @TempDir static Path work;
  static DeliveryFixture fx;
  static Map<String, String> deploy;

  static final String CANARY = "canary-51c0 \"q\" $x #h \\ `b` ąę\n-----BEGIN X-----\n";

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
    fx.put("app/dev/SECRET_KEY", CANARY);
    fx.put("app/dev/API_TOKEN", "tok-1");
    fx.put("app/dev/nested/INNER", "not mapped");
    fx.put("app/prod/SECRET_KEY", "prod-only");
    deploy = Map.of("KEYTURN_TOKEN", fx.token("read:app/dev/*"));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void pathToDotenvFile_readBackExactly_mode600_withReadOnlyToken() throws Exception {
    DeliveryFixture.Run r =
        fx.inProcess(
            deploy, "render", "--path", "app/dev", "--format", "dotenv", "--out", "dev.env");

    assertThat(r.code()).as(r.err()).isZero();
    Path file = work.resolve("dev.env");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(Consumers.dotenv(file))
        .containsExactly(Map.entry("API_TOKEN", "tok-1"), Map.entry("SECRET_KEY", CANARY));
    assertThat(r.out() + r.err()).doesNotContain("canary-51c0");
    try (var leftovers = Files.list(work)) {
      assertThat(leftovers.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void stdoutYamlAndSystemd_readBackExactly() throws Exception {
    DeliveryFixture.Run yaml =
        fx.inProcess(deploy, "render", "--secret", "app/dev/SECRET_KEY=K", "--format", "yaml");
    DeliveryFixture.Run systemd =
        fx.inProcess(deploy, "render", "--secret", "app/dev/SECRET_KEY=K", "--format", "systemd");

    Path y = work.resolve("out.yaml");
    Files.writeString(y, yaml.out());
    Path s = work.resolve("out.systemd");
    Files.writeString(s, systemd.out());
    assertThat(Consumers.yaml(y)).containsExactly(Map.entry("K", CANARY));
    assertThat(Consumers.systemd(s)).containsExactly(Map.entry("K", CANARY));
  }

  @Test
  void refusals_beforeAnythingIsWritten_withTheDocumentedExitCodes() {
    DeliveryFixture.Run forbidden =
        fx.inProcess(
            deploy,
            "render",
            "--secret",
            "app/prod/SECRET_KEY",
            "--format",
            "json",
            "--out",
            "x.json");
    DeliveryFixture.Run missing =
        fx.inProcess(
            deploy, "render", "--secret", "app/dev/NOPE", "--format", "json", "--out", "x.json");
    DeliveryFixture.Run noFormat = fx.inProcess(deploy, "render", "--path", "app/dev");
    DeliveryFixture.Run nothing = fx.inProcess(deploy, "render", "--format", "json");
    DeliveryFixture.Run noName =
        fx.inProcess(deploy, "render", "--path", "app/dev", "--format", "k8s-secret");
    DeliveryFixture.Run cannot =
        fx.inProcess(
            deploy, "render", "--path", "app/dev", "--format", "docker-env", "--out", "x.env");

    assertThat(forbidden.code()).isEqualTo(ExitCode.REFUSED);
    assertThat(forbidden.err()).contains("app/prod/SECRET_KEY").doesNotContain("prod-only");
    assertThat(missing.code()).isEqualTo(ExitCode.NOT_FOUND);
    assertThat(missing.err()).contains("app/dev/NOPE");
    assertThat(noFormat.code()).isEqualTo(ExitCode.USAGE);
    assertThat(nothing.code()).isEqualTo(ExitCode.ERROR);
    assertThat(nothing.err()).contains("nothing to map");
    assertThat(noName.code()).isEqualTo(ExitCode.ERROR);
    assertThat(noName.err()).contains("--name");
    assertThat(cannot.code()).isEqualTo(ExitCode.ERROR);
    assertThat(cannot.err()).contains("SECRET_KEY").doesNotContain("canary-51c0");
    assertThat(work.resolve("x.json")).doesNotExist();
    assertThat(work.resolve("x.env")).doesNotExist();
  }

  @Test
  void fileInGitWorkTree_needsIgnoreOrForce() throws Exception {
    Path repo = work.resolve("repo");
    Files.createDirectories(repo);
    Process init = new ProcessBuilder("git", "init", "-q", repo.toString()).inheritIO().start();
    assertThat(init.waitFor()).isZero();

    DeliveryFixture.Run refused =
        fx.inProcess(
            deploy, "render", "--path", "app/dev", "--format", "dotenv", "--out", "repo/.env");
    boolean createdByRefusal = Files.exists(repo.resolve(".env"));
    Files.writeString(repo.resolve(".gitignore"), ".env\n");
    DeliveryFixture.Run ignored =
        fx.inProcess(
            deploy, "render", "--path", "app/dev", "--format", "dotenv", "--out", "repo/.env");
    DeliveryFixture.Run forced =
        fx.inProcess(
            deploy,
            "render",
            "--path",
            "app/dev",
            "--format",
            "json",
            "--out",
            "repo/keys.json",
            "--force");

    assertThat(refused.code()).isEqualTo(ExitCode.ERROR);
    assertThat(refused.err()).contains("not ignored").contains("--force");
    assertThat(createdByRefusal).isFalse();
    assertThat(ignored.code()).as(ignored.err()).isZero();
    assertThat(forced.code()).as(forced.err()).isZero();
    assertThat(Consumers.json(repo.resolve("keys.json"))).containsEntry("SECRET_KEY", CANARY);
  }

  @Test
  void filesDir_exactBytes_folder700_files600_andOthersFoldersRefused() throws Exception {
    DeliveryFixture.Run r =
        fx.inProcess(deploy, "render", "--path", "app/dev", "--files", "secrets");
    Path open = Files.createDirectory(work.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
    DeliveryFixture.Run refused =
        fx.inProcess(deploy, "render", "--path", "app/dev", "--files", "open");

    assertThat(r.code()).as(r.err()).isZero();
    Path dir = work.resolve("secrets");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");
    assertThat(Files.readString(dir.resolve("SECRET_KEY"))).isEqualTo(CANARY);
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("API_TOKEN"))))
        .isEqualTo("rw-------");
    assertThat(refused.code()).isEqualTo(ExitCode.ERROR);
    assertThat(refused.err()).contains("open to others");
    try (var files = Files.list(open)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void readerLoopingThrough1000Renders_neverSeesAPartialFile() throws Exception {
    // In memory: 1,000 flushes to a disk take minutes here, and the rename is what is tested.
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "render-loop-");
    Path file = shm.resolve("loop.json");
    String[] expected = new String[2];
    for (int i = 0; i < 2; i++) {
      String var = i == 0 ? "app/dev/SECRET_KEY=K" : "app/dev/API_TOKEN=K";
      expected[i] = fx.inProcess(deploy, "render", "--secret", var, "--format", "json").out();
    }
    AtomicBoolean done = new AtomicBoolean();
    List<String> seen = new ArrayList<>();
    Thread reader =
        new Thread(() -> {
          while (!done.get()) {
            try {
              if (Files.exists(file)) {
                String text = Files.readString(file);
                if (!text.equals(expected[0]) && !text.equals(expected[1])) {
                  synchronized (seen) {
                    seen.add(text.length() + " chars");
                  }
                }
              }
            } catch (java.nio.file.NoSuchFileException e) {
              synchronized (seen) {
                seen.add("missing after first render");
              }
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        });

    fx.inProcess(
        deploy,
        "render",
        "--secret",
        "app/dev/SECRET_KEY=K",
        "--format",
        "json",
        "--out",
        file.toString());
    reader.start();
    int failures = 0;
    for (int i = 0; i < 1000; i++) {
      String var = i % 2 == 0 ? "app/dev/API_TOKEN=K" : "app/dev/SECRET_KEY=K";
      failures +=
          fx.inProcess(
                  deploy, "render", "--secret", var, "--format", "json", "--out", file.toString())
              .code();
    }
    done.set(true);
    reader.join();

    assertThat(failures).isZero();
    assertThat(seen).isEmpty();
    Files.delete(file);
    Files.delete(shm);
  }
}
