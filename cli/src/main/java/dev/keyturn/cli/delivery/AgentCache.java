package dev.keyturn.cli.delivery;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.json.JsonMapper;

/**
 * What {@code keyturn agent} keeps between runs, in one file {@code STATE/agent.cache} (mode 600,
 * replaced atomically): for each output, the variables it last rendered and the digest of what it
 * applied (written, reloaded and checked) and of what it last had to roll back. The file is
 * AES-256-GCM: {@code "KTAC" 1 || nonce(12) || ciphertext+tag}, with the header as associated data,
 * under a key derived from the agent's token by HKDF-SHA256 (RFC 5869; salt {@code
 * "keyturn-agent-cache"}, info {@code "keyturn agent cache v1"}). A digest is HMAC-SHA256 under a
 * second key from the same HKDF (info {@code "keyturn agent digest v1"}), so neither the file nor a
 * digest tells anything of a value without the token. A file written under another token (or
 * damaged) is not readable: the agent then starts as on its first run. Not thread-safe.
 */
public final class AgentCache {
  private static final byte[] HEADER = {'K', 'T', 'A', 'C', 1};
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Path file;
  private final byte[] cacheKey;
  private final byte[] digestKey;
  private final SecureRandom random;
  private Map<String, Entry> entries = new LinkedHashMap<>();

  /** What is kept for one output. Holds values: never logged. */
  public record Entry(List<List<String>> variables, String applied, String rejected) {}

  public AgentCache(Path stateDir, String token, SecureRandom random) {
    this.file = stateDir.resolve("agent.cache");
    byte[] prk = hmac("keyturn-agent-cache".getBytes(StandardCharsets.UTF_8), utf8(token));
    this.cacheKey = expand(prk, "keyturn agent cache v1");
    this.digestKey = expand(prk, "keyturn agent digest v1");
    this.random = requireNonNull(random, "random");
  }

  public Path file() {
    return file;
  }

  /**
   * Reads the file.
   *
   * @return false when there is none, or it cannot be opened with this token (then it is empty)
   */
  public boolean load() {
    byte[] sealed;
    try {
      sealed = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput("cannot read " + file + ": " + e.getMessage());
    }
    try {
      if (sealed.length < HEADER.length + 12 + 16
          || !java.util.Arrays.equals(sealed, 0, HEADER.length, HEADER, 0, HEADER.length)) {
        return false;
      }
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(cacheKey, "AES"),
          new GCMParameterSpec(128, sealed, HEADER.length, 12));
      gcm.updateAAD(HEADER);
      byte[] plain = gcm.doFinal(sealed, HEADER.length + 12, sealed.length - HEADER.length - 12);
      Map<String, Entry> read = new LinkedHashMap<>();
      JSON.readTree(plain)
          .properties()
          .forEach(e -> read.put(e.getKey(), JSON.treeToValue(e.getValue(), Entry.class)));
      java.util.Arrays.fill(plain, (byte) 0);
      entries = read;
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  public Optional<Entry> entry(String output) {
    return Optional.ofNullable(entries.get(output));
  }

  /** The variables kept for {@code output}, if any. */
  public Optional<Variables> variables(String output) {
    Entry e = entries.get(output);
    if (e == null || e.variables() == null) {
      return Optional.empty();
    }
    Variables v = new Variables();
    for (List<String> row : e.variables()) {
      v.add(row.get(0), true, row.get(1), row.get(2));
    }
    return Optional.of(v);
  }

  /** Records {@code output}'s state; {@link #save} writes it. */
  public void put(String output, Variables variables, String applied, String rejected) {
    List<List<String>> rows = new ArrayList<>();
    variables
        .reveal()
        .forEach((var, value) -> rows.add(List.of(var, variables.sources().get(var), value)));
    entries.put(output, new Entry(rows, applied, rejected));
  }

  /** Writes the file: a temporary file (mode 600) flushed and renamed over it. */
  public void save() {
    try {
      Files.createDirectories(file.getParent());
      byte[] plain = JSON.writeValueAsBytes(entries);
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(cacheKey, "AES"),
          new GCMParameterSpec(128, nonce));
      gcm.updateAAD(HEADER);
      byte[] sealed = gcm.doFinal(plain);
      java.util.Arrays.fill(plain, (byte) 0);
      ByteBuffer out = ByteBuffer.allocate(HEADER.length + nonce.length + sealed.length);
      out.put(HEADER).put(nonce).put(sealed);
      AtomicFile.write(file, out.array());
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("cannot seal the agent cache", e);
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput("cannot write " + file + ": " + e.getMessage());
    }
  }

  /** The keyed digest of what an output renders (hex). */
  public String digest(Map<String, byte[]> rendered) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(digestKey, "HmacSHA256"));
      for (Map.Entry<String, byte[]> e : rendered.entrySet()) {
        byte[] name = utf8(e.getKey());
        mac.update(ByteBuffer.allocate(8).putInt(name.length).putInt(e.getValue().length).array());
        mac.update(name);
        mac.update(e.getValue());
      }
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", e);
    }
  }

  /** HKDF-Expand (RFC 5869) of one block: 32 bytes. */
  static byte[] expand(byte[] prk, String info) {
    byte[] in = new byte[utf8(info).length + 1];
    System.arraycopy(utf8(info), 0, in, 0, in.length - 1);
    in[in.length - 1] = 1;
    return hmac(prk, in);
  }

  /** HKDF-Extract (RFC 5869) is HMAC(salt, ikm). */
  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
