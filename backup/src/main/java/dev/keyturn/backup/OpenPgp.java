package dev.keyturn.backup;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEDataDecryptorFactoryBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;

/**
 * Backups as OpenPGP messages (RFC 4880) that gpg 2.2 opens: AES-256 in an integrity-protected
 * packet (SEIPD version 1 with its modification detection code), keyed by an iterated and salted
 * S2K (SHA-256) from a passphrase, or by a session key encrypted to each recipient's public key
 * (RSA, or ECDH on Curve25519). The payload is one binary literal data packet; no compression.
 *
 * <p>Reading is strict: one encrypted, integrity-protected packet holding one literal packet
 * (compressed or not, as gpg writes by default), nothing after it, and the integrity code checked
 * before any byte is used. Anything else, a wrong passphrase included, is one {@link
 * KeyturnException.CryptoFailure} that names no value. Thread-safe (stateless).
 */
public final class OpenPgp {
  /**
   * The S2K count byte written by default: 0xF4 is 50,331,648 bytes hashed per passphrase try,
   * close to what gpg 2.2 calibrates to.
   */
  public static final int DEFAULT_S2K_COUNT = 0xF4;

  /** The largest plaintext read back: a backup of this size is split with {@code --prefix}. */
  public static final long MAX_PLAINTEXT = 1L << 30;

  private static final String LITERAL_NAME = "keyturn-backup.json";

  private OpenPgp() {}

  /**
   * A stream that encrypts what is written to it under {@code passphrase} into {@code out}. Closing
   * it finishes the message (and leaves {@code out} open).
   */
  public static OutputStream encryptWithPassphrase(
      OutputStream out, char[] passphrase, int s2kCount, SecureRandom random) {
    requireNonNull(passphrase, "passphrase");
    if (passphrase.length == 0) {
      throw new KeyturnException.InvalidInput("the passphrase is empty");
    }
    if (s2kCount < 0 || s2kCount > 0xFF) {
      throw new IllegalArgumentException("the S2K count is one byte");
    }
    PGPEncryptedDataGenerator generator = generator(random);
    try {
      // The JDK's SHA-256 (SHA-NI where the CPU has it), in whole blocks: the S2K hashes 50 MB
      // on purpose, and Bouncy Castle's own digest took about a second of it.
      generator.addMethod(
          new JcePBEKeyEncryptionMethodGenerator(
                  passphrase,
                  buffered(
                      new JcaPGPDigestCalculatorProviderBuilder()
                          .build()
                          .get(HashAlgorithmTags.SHA256)),
                  s2kCount)
              .setSecureRandom(random));
    } catch (PGPException e) {
      throw new IllegalStateException("Bouncy Castle has no SHA-256", e);
    }
    return open(out, generator);
  }

  /**
   * {@code digest} fed in 64 KiB blocks: the S2K writes the salt and the passphrase a few dozen
   * bytes at a time, and the JDK's SHA-256 hashes whole blocks far faster than it takes calls.
   */
  private static PGPDigestCalculator buffered(PGPDigestCalculator digest) {
    BufferedOutputStream blocks = new BufferedOutputStream(digest.getOutputStream(), 1 << 16);
    return new PGPDigestCalculator() {
      @Override
      public int getAlgorithm() {
        return digest.getAlgorithm();
      }

      @Override
      public OutputStream getOutputStream() {
        return blocks;
      }

      @Override
      public byte[] getDigest() {
        try {
          blocks.flush();
        } catch (IOException e) {
          throw new IllegalStateException("a digest's stream does not fail", e);
        }
        return digest.getDigest();
      }

      @Override
      public void reset() {
        getDigest();
        digest.reset();
      }
    };
  }

  /** A stream that encrypts what is written to it to every key in {@code recipients}. */
  public static OutputStream encryptToRecipients(
      OutputStream out, List<PGPPublicKey> recipients, SecureRandom random) {
    if (recipients.isEmpty()) {
      throw new KeyturnException.InvalidInput("a backup needs a passphrase or a recipient");
    }
    PGPEncryptedDataGenerator generator = generator(random);
    for (PGPPublicKey key : recipients) {
      generator.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(key).setSecureRandom(random));
    }
    return open(out, generator);
  }

  /**
   * The encryption keys of an ASCII-armored (or binary) public key file, as gpg {@code --export
   * --armor} writes it: for each key, its newest subkey (or primary key) that may encrypt.
   *
   * @throws KeyturnException.InvalidInput if the file is unreadable, holds a secret key, or holds
   *     no key that can encrypt
   */
  public static List<PGPPublicKey> recipients(Path file) {
    requireNonNull(file, "file");
    List<PGPPublicKey> keys = new ArrayList<>();
    try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
      PGPPublicKeyRingCollection rings =
          new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator());
      for (Iterator<PGPPublicKeyRing> it = rings.getKeyRings(); it.hasNext(); ) {
        PGPPublicKey chosen = null;
        for (Iterator<PGPPublicKey> k = it.next().getPublicKeys(); k.hasNext(); ) {
          PGPPublicKey key = k.next();
          if (key.isEncryptionKey() && !key.hasRevocation()) {
            chosen = key;
          }
        }
        if (chosen != null) {
          keys.add(chosen);
        }
      }
    } catch (IOException | PGPException | RuntimeException e) {
      throw new KeyturnException.InvalidInput(
          file + " is not an OpenPGP public key file (gpg --export --armor KEY)");
    }
    if (keys.isEmpty()) {
      throw new KeyturnException.InvalidInput(file + " holds no public key that can encrypt");
    }
    return List.copyOf(keys);
  }

  /**
   * Decrypts a passphrase-encrypted message and returns its payload, once its integrity code has
   * been checked.
   *
   * @throws KeyturnException.CryptoFailure for a wrong passphrase or a damaged, truncated or
   *     altered message, or one not integrity-protected
   */
  public static byte[] decrypt(InputStream in, char[] passphrase) {
    requireNonNull(in, "in");
    requireNonNull(passphrase, "passphrase");
    try {
      BcPGPObjectFactory outer = new BcPGPObjectFactory(PGPUtil.getDecoderStream(in));
      Object first = outer.nextObject();
      if (!(first instanceof PGPEncryptedDataList list)) {
        throw damaged("it is not an OpenPGP encrypted message");
      }
      List<PGPPBEEncryptedData> candidates = new ArrayList<>();
      for (PGPEncryptedData data : list) {
        if (data instanceof PGPPBEEncryptedData pbe) {
          candidates.add(pbe);
        }
      }
      if (candidates.isEmpty()) {
        throw new KeyturnException.CryptoFailure(
            "the backup is encrypted to public keys, not a passphrase: decrypt it with gpg and"
                + " pipe it in (gpg -d FILE | keyturn backup ... -)");
      }
      if (candidates.size() > 1) {
        // Keyturn and gpg --symmetric write one; a second is a duplicated or spliced packet.
        throw damaged("it has more than one passphrase packet");
      }
      InputStream clear = null;
      PGPPBEEncryptedData opened = null;
      for (PGPPBEEncryptedData pbe : candidates) {
        if (!pbe.isIntegrityProtected()) {
          throw damaged("it is not integrity-protected");
        }
        try {
          clear =
              pbe.getDataStream(
                  new JcePBEDataDecryptorFactoryBuilder(
                          new JcaPGPDigestCalculatorProviderBuilder().build())
                      .build(passphrase));
          opened = pbe;
          break;
        } catch (PGPException e) {
          // Another passphrase packet may be ours.
        }
      }
      if (clear == null) {
        throw new KeyturnException.CryptoFailure(
            "the passphrase is wrong (or the backup's key packet was altered)");
      }
      byte[] payload = payload(clear);
      if (!opened.verify()) {
        throw damaged("its integrity check failed");
      }
      if (outer.nextObject() != null) {
        throw damaged("something follows the encrypted packet");
      }
      return payload;
    } catch (KeyturnException e) {
      throw e;
    } catch (IOException | PGPException | RuntimeException e) {
      // Bouncy Castle reports a damaged packet stream in many ways; all of them mean one thing.
      throw damaged("it is damaged or truncated");
    }
  }

  private static byte[] payload(InputStream clear) throws IOException {
    BcPGPObjectFactory inner = new BcPGPObjectFactory(clear);
    Object next = inner.nextObject();
    if (next instanceof PGPCompressedData compressed) {
      try {
        inner = new BcPGPObjectFactory(compressed.getDataStream());
      } catch (PGPException e) {
        throw damaged("its compressed packet is damaged");
      }
      next = inner.nextObject();
    }
    if (!(next instanceof PGPLiteralData literal)) {
      throw damaged("it holds no literal data packet");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream data = literal.getDataStream();
    byte[] buffer = new byte[1 << 16];
    long total = 0;
    for (int n; (n = data.read(buffer)) > 0; ) {
      total += n;
      if (total > MAX_PLAINTEXT) {
        throw damaged("it is larger than " + MAX_PLAINTEXT + " bytes");
      }
      out.write(buffer, 0, n);
    }
    if (inner.nextObject() != null) {
      throw damaged("more than one packet follows the literal data");
    }
    // Reads to the end of the encrypted stream, so that its integrity code is there to check.
    if (clear.read(buffer) >= 0) {
      throw damaged("data follows the literal packet");
    }
    return out.toByteArray();
  }

  private static KeyturnException.CryptoFailure damaged(String why) {
    return new KeyturnException.CryptoFailure("the backup cannot be trusted: " + why);
  }

  /**
   * AES-256 in OpenPGP's CFB mode and the SHA-1 of the modification detection code, from the JDK's
   * providers (AES-NI and SHA-NI intrinsics; no provider is registered): Bouncy Castle's own
   * engines encrypt a byte at a time and were most of a large backup's encryption.
   */
  private static PGPEncryptedDataGenerator generator(SecureRandom random) {
    requireNonNull(random, "random");
    return new PGPEncryptedDataGenerator(
        new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
            .setWithIntegrityPacket(true)
            .setSecureRandom(random));
  }

  private static OutputStream open(OutputStream sink, PGPEncryptedDataGenerator generator) {
    requireNonNull(sink, "sink");
    try {
      OutputStream encrypted = generator.open(sink, new byte[1 << 16]);
      PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
      OutputStream body =
          literal.open(
              encrypted, PGPLiteralData.BINARY, LITERAL_NAME, new Date(), new byte[1 << 16]);
      return new FilterOutputStream(body) {
        private boolean closed;

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          if (closed) {
            return;
          }
          closed = true;
          literal.close();
          generator.close();
        }
      };
    } catch (IOException | PGPException e) {
      throw new KeyturnException.Unavailable("the backup could not be written", e);
    }
  }
}
