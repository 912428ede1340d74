package dev.keyturn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.testing.Gpg;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keyturn's OpenPGP backups against gpg 2.2, both ways. */
class OpenPgpGpgTest {
  @TempDir static Path dir;
  static Gpg gpg;
  static Path passphraseFile;
  static final String PASSPHRASE = "correct horse battery staple";

  @BeforeAll
  static void setUp() throws IOException {
    gpg = Gpg.in(dir);
    passphraseFile = Files.writeString(dir.resolve("pass"), PASSPHRASE + "\n");
  }

  @AfterAll
  static void tearDown() {
    gpg.close();
  }

  private static byte[] withPassphrase(byte[] document, int s2kCount) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream sealed =
        OpenPgp.encryptWithPassphrase(
            out, PASSPHRASE.toCharArray(), s2kCount, new SecureRandom())) {
      sealed.write(document);
    }
    return out.toByteArray();
  }

  @Test
  void passphraseBackup_gpgDecryptsIt_asAes256IntegrityProtectedIteratedSaltedS2k()
      throws IOException {
    byte[] document = Samples.document(20);

    byte[] file = withPassphrase(document, OpenPgp.DEFAULT_S2K_COUNT);
    Gpg.Result decrypted =
        gpg.run(
            file,
            "--pinentry-mode",
            "loopback",
            "--passphrase-file",
            passphraseFile.toString(),
            "--decrypt");
    Gpg.Result packets =
        gpg.run(
            file,
            "--pinentry-mode",
            "loopback",
            "--passphrase-file",
            passphraseFile.toString(),
            "--list-packets");

    assertThat(decrypted.code()).as(decrypted.err()).isZero();
    assertThat(decrypted.out()).isEqualTo(document);
    assertThat(packets.outText())
        .contains(":symkey enc packet: version 4, cipher 9")
        .contains("s2k 3, hash 8")
        .contains(":encrypted data packet:")
        .contains("mdc_method: 2");
    assertThat(packets.err()).doesNotContain("WARNING");
  }

  @Test
  void recipientBackups_rsa3072AndCurve25519_gpgDecryptsWithEachKey() throws IOException {
    gpg.generateKey("rsa-backup@example.com", "rsa3072");
    gpg.generateKey("cv-backup@example.com", "ed25519");
    Path rsa = gpg.exportPublic("rsa-backup@example.com", dir.resolve("rsa.asc"));
    Path cv = gpg.exportPublic("cv-backup@example.com", dir.resolve("cv.asc"));
    byte[] document = Samples.document(5);

    for (Path key : new Path[] {rsa, cv}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (OutputStream sealed =
          OpenPgp.encryptToRecipients(out, OpenPgp.recipients(key), new SecureRandom())) {
        sealed.write(document);
      }
      Gpg.Result decrypted =
          gpg.run(
              out.toByteArray(), "--pinentry-mode", "loopback", "--passphrase", "", "--decrypt");
      Gpg.Result packets = gpg.run(out.toByteArray(), "--list-packets");

      assertThat(decrypted.code()).as(key + ": " + decrypted.err()).isZero();
      assertThat(decrypted.out()).isEqualTo(document);
      assertThat(packets.outText()).contains("mdc_method: 2");
      // Public-key algorithm 1 is RSA, 18 is ECDH (here on Curve25519).
      assertThat(packets.outText())
          .contains(":pubkey enc packet: version 3, algo " + (key == rsa ? "1," : "18,"));
    }
  }

  @Test
  void gpgSymmetricAes256_ofABackupDocument_keyturnDecryptsAndReadsIt() {
    byte[] document = Samples.document(30);
    Gpg.Result encrypted =
        gpg.run(
            document,
            "--pinentry-mode",
            "loopback",
            "--passphrase-file",
            passphraseFile.toString(),
            "--symmetric",
            "--cipher-algo",
            "AES256");

    byte[] plain =
        OpenPgp.decrypt(new ByteArrayInputStream(encrypted.out()), PASSPHRASE.toCharArray());
    BackupDocument parsed = BackupDocument.parse(plain);

    assertThat(encrypted.code()).as(encrypted.err()).isZero();
    assertThat(plain).isEqualTo(document);
    assertThat(parsed.secrets()).hasSize(30);
    assertThat(parsed.secrets().get(4).current().orElseThrow().value().revealUtf8())
        .isEqualTo(Samples.CANARY + "-new-4");
  }

  @Test
  void gpgSymmetricWithoutIntegrityProtection_isRefused() {
    byte[] document = Samples.document(2);
    Gpg.Result encrypted =
        gpg.run(
            document,
            "--pinentry-mode",
            "loopback",
            "--passphrase-file",
            passphraseFile.toString(),
            "--symmetric",
            "--cipher-algo",
            "AES256",
            "--rfc2440");

    assertThat(encrypted.code()).as(encrypted.err()).isZero();
    assertThatThrownBy(() ->
            OpenPgp.decrypt(new ByteArrayInputStream(encrypted.out()), PASSPHRASE.toCharArray()))
        .isInstanceOf(KeyturnException.CryptoFailure.class)
        .hasMessageContaining("integrity");
  }

  @Test
  void wrongPassphrase_isOneClearError() throws IOException {
    byte[] file = withPassphrase(Samples.document(2), 0x60);

    assertThatThrownBy(() -> OpenPgp.decrypt(new ByteArrayInputStream(file), "wrong".toCharArray()))
        .isInstanceOf(KeyturnException.CryptoFailure.class)
        .hasMessageContaining("passphrase is wrong")
        .message()
        .doesNotContain(Samples.CANARY);
    assertThat(new String(file, StandardCharsets.ISO_8859_1)).doesNotContain(Samples.CANARY);
  }
}
