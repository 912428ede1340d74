package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data folder and the root key are trusted only when no other user can change them. The tests
 * run as root; "another user" is uid 65534 (nobody).
 */
class DataFolderTrustTest {
  private static final int OTHER_USER = 65534;

  @TempDir Path dir;

  @Test
  void worldWritableDataFolder_isRefusedSayingWhatToChmod() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    chmod(data, "rwxrwxrwx");

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("other users can write to it (mode 0777)")
        .hasMessageContaining("chmod go-w " + data);
    assertThat(data.resolve("root.token")).doesNotExist();
    assertThat(data.resolve("keyturn.db")).doesNotExist();
  }

  @Test
  void groupWritableDataFolder_isRefused() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    chmod(data, "rwxrwx---");

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("mode 0770");
  }

  @Test
  void dataFolderOfAnotherUser_isRefusedSayingWhatToChown() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    chmod(data, "rwxr-xr-x");
    chown(data, OTHER_USER);

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("belongs to uid 65534")
        .hasMessageContaining("chown ");
  }

  @Test
  void rootTokenPlantedAsSymlink_isRefusedAndItsTargetUntouched() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    chmod(data, "rwx------");
    Path planted = Files.writeString(dir.resolve("attacker-owned"), "");
    Files.createSymbolicLink(data.resolve("root.token"), planted);

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("root.token")
        .hasMessageContaining("symbolic link");
    assertThat(Files.readString(planted)).isEmpty();
  }

  @Test
  void staleRootTokenFile_isReplacedByANewOwnerOnlyFile() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    chmod(data, "rwx------");
    Path stale = Files.writeString(data.resolve("root.token"), "kt_stale\n");
    chmod(stale, "rw-r--r--");
    Path otherName = Files.createLink(dir.resolve("other-name"), stale);

    try (RunningServer server = RunningServer.start(data)) {
      assertThat(server.rootToken()).isEqualTo(server.server.newRootToken().orElseThrow());
    }
    assertThat(Files.readString(otherName))
        .as("the old file is not written into")
        .isEqualTo("kt_stale\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stale)))
        .isEqualTo("rw-------");
  }

  @Test
  void rootKeyAsSymlink_isRefused() throws Exception {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    Path moved = Files.move(data.resolve("root.key"), dir.resolve("elsewhere.key"));
    Files.createSymbolicLink(data.resolve("root.key"), moved);

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("is a symbolic link");
  }

  @Test
  void rootKeyWritableByOthers_isRefused() throws Exception {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    chmod(data.resolve("root.key"), "rw-rw-rw-");

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("mode 0666")
        .hasMessageContaining("chmod 600 " + data.resolve("root.key"));
  }

  @Test
  void rootKeyOfAnotherUser_readableByOthers_isRefused() throws Exception {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    chmod(data.resolve("root.key"), "rw-r--r--");
    chown(data.resolve("root.key"), OTHER_USER);

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("belongs to uid 65534");
  }

  @Test
  void rootOwnedReadOnlyKeyMount_startsWithAWarning() throws Exception {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    Path key = data.resolve("root.key");
    chown(key, 0);
    chmod(key, "r--r--r--");

    Optional<String> warning = new FileTrust(1000).checkKeyFile(key);
    try (RunningServer again = RunningServer.start(data)) {
      assertThat(again.server.newRootToken()).isEmpty();
    }

    assertThat(warning.orElseThrow())
        .contains("readable by other users (mode 0444)")
        .contains("read-only secret mount owned by root");
    assertThat(new FileTrust(1000).checkKeyFile(key)).isPresent();
    chmod(key, "rw-r--r--");
    assertThat(new FileTrust(1000).checkKeyFile(key).orElseThrow()).contains("mode 0644");
  }

  @Test
  void ownKeyReadableByOthers_isRefused() throws Exception {
    Path key = Files.writeString(dir.resolve("root.key"), "k");
    chmod(key, "rw-r--r--");
    chown(key, 1000);

    assertThatThrownBy(() -> new FileTrust(1000).checkKeyFile(key))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("other users can read it (mode 0644)")
        .hasMessageContaining("chmod 600 " + key);
    chmod(key, "r--------");
    assertThat(new FileTrust(1000).checkKeyFile(key)).isEmpty();
  }

  @Test
  void ownDataFolderReadableByOthers_isAccepted() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    chmod(data, "rwxr-xr-x");

    try (RunningServer server = RunningServer.start(data)) {
      assertThat(server.rootToken()).startsWith("kt_");
    }
  }

  @Test
  void dataFolderThroughASymlink_isJudgedByTheFolderItLeadsTo() throws Exception {
    Path real = Files.createDirectories(dir.resolve("disk/keyturn"));
    chmod(real, "rwx------");
    Path link = Files.createSymbolicLink(dir.resolve("keyturn-data"), real);

    try (RunningServer server = RunningServer.start(link)) {
      assertThat(server.rootToken()).startsWith("kt_");
    }
    chmod(real, "rwxrwxrwx");
    assertThatThrownBy(() -> RunningServer.start(link))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("chmod go-w " + real.toRealPath());
  }

  @Test
  void dataFolderInAWorldWritableFolderWithoutStickyBit_isRefused() throws Exception {
    Path shared = Files.createDirectories(dir.resolve("shared"));
    chmod(shared, "rwxrwxrwx");
    Path data = shared.resolve("data");

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("other users can write to the folder " + shared.toRealPath())
        .hasMessageContaining("chmod go-w " + shared.toRealPath());
    assertThat(data.resolve("root.token")).doesNotExist();
  }

  @Test
  void dataFolderInAStickyWorldWritableFolder_starts() throws Exception {
    Path shared = Files.createDirectories(dir.resolve("shared"));
    Files.setAttribute(shared, "unix:mode", 01777);

    try (RunningServer server = RunningServer.start(shared.resolve("data"))) {
      assertThat(shared.resolve("data/root.token")).exists();
    }
  }

  @Test
  void dataFolderInAFolderOfAnotherUser_isRefused() throws Exception {
    Path theirs = Files.createDirectories(dir.resolve("theirs"));
    chown(theirs, OTHER_USER);

    assertThatThrownBy(() -> RunningServer.start(theirs.resolve("data")))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("belongs to uid " + OTHER_USER)
        .hasMessageContaining("chown 0 " + theirs.toRealPath());
  }

  @Test
  void keyFileNamedInTheEnvironment_writableByOthers_isRefused() throws Exception {
    Path key = writeKey(dir.resolve("root.key"));
    chmod(key, "rw-rw-rw-");

    assertThatThrownBy(() -> resolveWithKeyFile(key))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("other users can write to it (mode 0666)")
        .hasMessageContaining("chmod 600 " + key.toRealPath());
  }

  @Test
  void keyFileNamedInTheEnvironment_leadingToAnotherUsersFile_isRefused() throws Exception {
    Path key = writeKey(dir.resolve("planted.key"));
    chown(key, OTHER_USER);
    Path link = Files.createSymbolicLink(dir.resolve("root.key"), key);

    assertThatThrownBy(() -> resolveWithKeyFile(link))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("belongs to uid " + OTHER_USER);
  }

  @Test
  void keyFileNamedInTheEnvironment_inAFolderOthersMayWriteTo_isRefused() throws Exception {
    Path shared = Files.createDirectories(dir.resolve("shared"));
    chmod(shared, "rwxrwxrwx");
    Path key = writeKey(shared.resolve("root.key"));

    assertThatThrownBy(() -> resolveWithKeyFile(key))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("chmod go-w " + shared.toRealPath());
  }

  @Test
  void keyFileNamedInTheEnvironment_asAKubernetesSecretMount_isReadWithAWarning() throws Exception {
    // Kubernetes: /secret/root.key -> ..data/root.key, ..data -> ..2026_11_28/, files 0644 root
    Path mount = Files.createDirectories(dir.resolve("secret"));
    Path version = Files.createDirectories(mount.resolve("..2026_11_28"));
    Path key = writeKey(version.resolve("root.key"));
    chmod(key, "rw-r--r--");
    Files.createSymbolicLink(mount.resolve("..data"), version.getFileName());
    Path named = Files.createSymbolicLink(mount.resolve("root.key"), Path.of("..data/root.key"));

    ServerConfig config = resolveWithKeyFile(named);

    assertThat(config.rootKey()).contains(Files.readString(key).strip());
  }

  private static Path writeKey(Path file) throws Exception {
    Files.writeString(
        file,
        dev.keyturn.core.crypto.RootKey.generate(new java.security.SecureRandom()).toBase64Line());
    chmod(file, "rw-------");
    return file;
  }

  private ServerConfig resolveWithKeyFile(Path key) {
    return ServerFlags.resolve(
        new ServerFlags(
            dir.resolve("data"), null, null, null, null, false, null, null, null, null, null, null),
        new dev.keyturn.core.Settings(java.util.Map.of("KEYTURN_ROOT_KEY_FILE", key.toString())));
  }

  private static void chmod(Path p, String mode) throws Exception {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
  }

  private static void chown(Path p, int uid) throws Exception {
    Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
  }
}
