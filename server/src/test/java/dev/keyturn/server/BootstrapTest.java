package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.core.crypto.RootKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapTest {
  @TempDir Path dir;

  @Test
  void firstStart_makesRootKeyAndTokenOwnerOnly() throws Exception {
    Path data = dir.resolve("data");

    try (RunningServer server = RunningServer.start(data)) {
      assertThat(server.server.newRootToken()).isPresent();
      assertThat(server.rootToken())
          .matches("kt_[A-Za-z0-9_-]{22}")
          .isEqualTo(server.server.newRootToken().get());
    }

    assertThat(mode(data)).isEqualTo("rwx------");
    assertThat(mode(data.resolve("root.key"))).isEqualTo("rw-------");
    assertThat(mode(data.resolve("root.token"))).isEqualTo("rw-------");
    assertThat(mode(data.resolve("keyturn.db"))).isEqualTo("rw-------");
    assertThat(RootKey.fromBase64(Files.readString(data.resolve("root.key")))).isNotNull();
  }

  @Test
  void restart_keepsKeyTokenAndSecrets() throws Exception {
    Path data = dir.resolve("data");
    String token;
    try (RunningServer server = RunningServer.start(data)) {
      token = server.rootToken();
      server.client().put("boot/K", new PutSecretRequest("kept", null, null, null, null));
    }
    String key = Files.readString(data.resolve("root.key"));

    try (RunningServer again = RunningServer.start(data)) {
      assertThat(again.server.newRootToken()).isEmpty();
      assertThat(again.rootToken()).isEqualTo(token);
      assertThat(again.client().get("boot/K").value().stringValue()).isEqualTo("kept");
    }
    assertThat(Files.readString(data.resolve("root.key"))).isEqualTo(key);
  }

  @Test
  void storeWithDataAndMissingRootKey_refusesToStartAndKeepsTheData() throws Exception {
    Path data = dir.resolve("data");
    try (RunningServer server = RunningServer.start(data)) {
      server.client().put("boot/K", new PutSecretRequest("precious", null, null, null, null));
    }
    Path key = data.resolve("root.key");
    Path saved = dir.resolve("root.key.saved");
    Files.move(key, saved);

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining("no root key was found")
        .hasMessageContaining("will not make a new key");
    assertThat(key).doesNotExist();

    Files.move(saved, key);
    try (RunningServer server = RunningServer.start(data)) {
      assertThat(server.client().get("boot/K").value().stringValue()).isEqualTo("precious");
    }
  }

  @Test
  void storeWithOnlyTheRootToken_andMissingKey_refusesToStart() throws Exception {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    Files.delete(data.resolve("root.key"));

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class);
  }

  @Test
  void wrongRootKey_isRefusedNamingBothKeys() {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    RootKey other = RootKey.generate(new SecureRandom());

    assertThatThrownBy(() -> RunningServer.start(data, Optional.of(other.toBase64Line())))
        .isInstanceOf(Bootstrap.StartupException.class)
        .hasMessageContaining(other.id())
        .hasMessageContaining("wrapped by root key rk-");
  }

  @Test
  void rootKeyFromEnvironment_isUsedAndNotWrittenToDisk() throws Exception {
    Path data = dir.resolve("data");
    RootKey key = RootKey.generate(new SecureRandom());

    try (RunningServer server = RunningServer.start(data, Optional.of(key.toBase64Line()))) {
      server.client().put("boot/E", new PutSecretRequest("v", null, null, null, null));
    }
    assertThat(data.resolve("root.key")).doesNotExist();

    try (RunningServer server = RunningServer.start(data, Optional.of(key.toBase64Line()))) {
      assertThat(server.client().get("boot/E").value().stringValue()).isEqualTo("v");
    }
    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(Bootstrap.StartupException.class);
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
