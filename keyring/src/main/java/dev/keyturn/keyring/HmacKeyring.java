package dev.keyturn.keyring;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC signatures over a secret's keyring, byte-identical to {@code openssl dgst -sha256 -hmac
 * "$SECRET"}: each version's key is its value's UTF-8 bytes. {@link #sign} uses the current
 * version; {@link #verify} computes the MAC under every version and compares each in constant time
 * ({@link MessageDigest#isEqual}), with no early exit, so the time taken does not tell which
 * version matched or how much of a signature was right.
 *
 * <p>Immutable and thread-safe. Holds key material: {@code toString} shows the name and version
 * numbers only.
 */
public final class HmacKeyring {
  private static final int CHUNK = 64 * 1024;

  private final String name;
  private final List<Key> keys;
  private final Optional<Key> current;

  /**
   * A version's key, with one initialized {@link Mac} per algorithm made on first use and only ever
   * cloned: a clone skips the provider lookup and the key set-up, which cost as much as hashing a 1
   * KiB body. The prototypes are never updated, so cloning them from several threads is safe.
   */
  private static final class Key {
    private final VersionMatch id;
    private final SecretKeySpec spec;
    private final AtomicReferenceArray<Mac> prototypes =
        new AtomicReferenceArray<>(HmacAlgorithm.values().length);

    Key(VersionMatch id, SecretKeySpec spec) {
      this.id = id;
      this.spec = spec;
    }

    VersionMatch id() {
      return id;
    }

    Mac mac(HmacAlgorithm algorithm) {
      Mac prototype = prototypes.get(algorithm.ordinal());
      if (prototype == null) {
        prototype = fresh(algorithm);
        prototypes.compareAndSet(algorithm.ordinal(), null, prototype);
      }
      try {
        return (Mac) prototype.clone();
      } catch (CloneNotSupportedException e) {
        return fresh(algorithm); // a provider whose Mac cannot be cloned
      }
    }

    private Mac fresh(HmacAlgorithm algorithm) {
      try {
        Mac mac = Mac.getInstance(algorithm.jcaName());
        mac.init(spec);
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(algorithm.jcaName() + " is not available in this JDK", e);
      }
    }
  }

  private HmacKeyring(String name, List<Key> keys) {
    this.name = name;
    this.keys = keys;
    this.current = keys.stream().filter(k -> k.id().stage() == KeyStage.CURRENT).findFirst();
  }

  /**
   * The keyring of secret {@code name} over {@code versions} (as the keyring API lists them).
   *
   * @throws KeyringException.InvalidKey when a version's value is JSON: an HMAC key is a string
   * @throws IllegalArgumentException when {@code versions} is empty or has two current versions
   */
  public static HmacKeyring of(String name, List<KeyVersion> versions) {
    requireNonNull(name, "name");
    Versions.check(name, versions);
    List<Key> keys = new ArrayList<>();
    for (KeyVersion v : Versions.currentFirst(versions)) {
      if (v.isJson()) {
        throw new KeyringException.InvalidKey(
            v.label(name) + " is a JSON value; an HMAC key is a string");
      }
      keys.add(new Key(new VersionMatch(v.version(), v.stage()), keySpec(v.reveal())));
    }
    return new HmacKeyring(name, List.copyOf(keys));
  }

  public String name() {
    return name;
  }

  /** The MAC of {@code body} under the current version. */
  public byte[] sign(HmacAlgorithm algorithm, byte[] body) {
    Mac mac = mac(algorithm, currentKey());
    return mac.doFinal(requireNonNull(body, "body"));
  }

  /** The MAC of everything {@code body} holds, read to its end, under the current version. */
  public byte[] sign(HmacAlgorithm algorithm, InputStream body) throws IOException {
    Mac mac = mac(algorithm, currentKey());
    byte[] buffer = new byte[CHUNK];
    for (int n; (n = body.read(buffer)) >= 0; ) {
      mac.update(buffer, 0, n);
    }
    return mac.doFinal();
  }

  /**
   * The version whose MAC of {@code body} is {@code signature}, trying every version (current
   * first, then pending, then previous); empty when none is.
   */
  public Optional<VersionMatch> verify(HmacAlgorithm algorithm, byte[] body, byte[] signature) {
    requireNonNull(body, "body");
    List<Mac> macs = macs(algorithm);
    for (Mac mac : macs) {
      mac.update(body);
    }
    return match(macs, signature);
  }

  /** {@link #verify(HmacAlgorithm, byte[], byte[])} over everything {@code body} holds. */
  public Optional<VersionMatch> verify(HmacAlgorithm algorithm, InputStream body, byte[] signature)
      throws IOException {
    List<Mac> macs = macs(algorithm);
    byte[] buffer = new byte[CHUNK];
    for (int n; (n = body.read(buffer)) >= 0; ) {
      for (Mac mac : macs) {
        mac.update(buffer, 0, n);
      }
    }
    return match(macs, signature);
  }

  private Optional<VersionMatch> match(List<Mac> macs, byte[] signature) {
    requireNonNull(signature, "signature");
    int found = -1;
    for (int i = 0; i < macs.size(); i++) {
      boolean equal = MessageDigest.isEqual(macs.get(i).doFinal(), signature);
      if (equal && found < 0) {
        found = i;
      }
    }
    return found < 0 ? Optional.empty() : Optional.of(keys.get(found).id());
  }

  private List<Mac> macs(HmacAlgorithm algorithm) {
    List<Mac> macs = new ArrayList<>(keys.size());
    for (Key key : keys) {
      macs.add(mac(algorithm, key));
    }
    return macs;
  }

  private Key currentKey() {
    return current.orElseThrow(
        () -> new KeyringException.NoCurrentVersion(name + " has no current version to sign with"));
  }

  private static Mac mac(HmacAlgorithm algorithm, Key key) {
    return key.mac(requireNonNull(algorithm, "algorithm"));
  }

  /**
   * The HMAC key of a value. An empty value keys HMAC as one zero byte does: RFC 2104 pads every
   * key with zeros to the block size, which is what openssl does with {@code -hmac ""}, while the
   * JCA refuses an empty key.
   */
  private static SecretKeySpec keySpec(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    return new SecretKeySpec(bytes.length == 0 ? new byte[1] : bytes, "HMAC");
  }

  /** Never shows key material. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("HmacKeyring[").append(name);
    for (Key k : keys) {
      out.append(", #").append(k.id().version()).append(' ').append(k.id().stage().wireName());
    }
    return out.append(']').toString();
  }
}
