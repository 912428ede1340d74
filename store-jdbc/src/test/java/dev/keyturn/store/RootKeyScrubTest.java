package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.RootKeyChange;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.testing.FixedClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A share-held root key rotation keeps the two keys wrapped by each other in the store until it
 * ends; after the end, those bytes are in neither the SQLite file nor its write-ahead log, so old
 * shares and a later copy of the files cannot rebuild the new key (the review of issue 17 read it
 * back out of the free pages).
 */
class RootKeyScrubTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir Path dir;

  @Test
  void finishedRotation_leavesNoImageOfTheWrappedKeys_inTheFileOrItsLog() throws IOException {
    SecureRandom random = new SecureRandom();
    RootKey from = RootKey.generate(random);
    RootKey to = RootKey.generate(random);
    byte[] marker = new byte[48];
    random.nextBytes(marker);
    // Stands for the two keys wrapped by each other: random bytes, base64 as the store keeps them.
    String wrapped = Base64.getEncoder().encodeToString(marker);
    RootKeyChange change = new RootKeyChange(from.id(), to.id());
    JdbcStore store =
        JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), new FixedClock(T0));
    AuditLog log = store.openAuditLog(new AuditChain(from));
    try {
      assertThat(store.beginRootKeyRotation(change, Optional.of(wrapped), event("root-key.rotate")))
          .isTrue();
      // Some other writes, so that the settings page has several images in the log.
      for (int i = 0; i < 50; i++) {
        log.append(java.util.List.of(event("secret.read")));
      }
      assertThat(filesHold(wrapped))
          .as("the wrapped keys are in the files during the rotation")
          .isTrue();

      assertThat(
              store.finishRootKeyRotation(
                  change, new Envelope(to, random), "", event("root-key.rotate")))
          .isTrue();

      assertThat(store.settings().setting(RootKeyChange.KEYS_SETTING)).isEmpty();
      assertThat(filesHold(wrapped)).as("the wrapped keys after the rotation ended").isFalse();
    } finally {
      log.close();
      store.close();
    }
    assertThat(filesHold(wrapped)).as("the wrapped keys after the store closed").isFalse();
  }

  /** Whether the database file or its write-ahead log holds {@code text}'s bytes anywhere. */
  private boolean filesHold(String text) throws IOException {
    byte[] needle = text.getBytes(StandardCharsets.US_ASCII);
    for (String name : new String[] {"keyturn.db", "keyturn.db-wal"}) {
      Path file = dir.resolve(name);
      if (Files.exists(file) && indexOf(Files.readAllBytes(file), needle) >= 0) {
        return true;
      }
    }
    return false;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static AuditEvent event(String action) {
    return new AuditEvent(
        T0, "tok_root", "127.0.0.1", action, Optional.empty(), Optional.empty(), "ok", "");
  }
}
