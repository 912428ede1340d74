package dev.keyturn.cli;

import dev.keyturn.api.KeyringEntry;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.Durations;
import dev.keyturn.core.Json;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.HmacAlgorithm;
import dev.keyturn.keyring.HmacEncoding;
import dev.keyturn.keyring.HmacKeyring;
import dev.keyturn.keyring.KeyringException;
import dev.keyturn.keyring.VersionMatch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What {@code keyring}, {@code hmac} and {@code fernet} do once their arguments are parsed, shared
 * by the picocli commands ({@link KeyringCommand}, {@link HmacCommand}, {@link FernetCommand}) and
 * {@link FastKeyring}, so that both paths check, fetch, read and print in the same order and bytes.
 * The keyring comes from a supplier, called after the local checks and before the input is read.
 * {@code file} is null for standard input.
 */
final class KeyringActions {
  /** Token input larger than this is not a token worth reading into memory. */
  static final int MAX_TOKEN = 64 << 20;

  private KeyringActions() {}

  static int sign(
      Io io,
      Supplier<HmacKeyring> keyring,
      HmacAlgorithm algorithm,
      HmacEncoding encoding,
      Path file)
      throws IOException {
    HmacKeyring ring = keyring.get();
    try (InputStream body = BodyInput.open(io, file)) {
      io.out().println(encoding.encode(ring.sign(algorithm, body)));
    }
    io.out().flush();
    return ExitCode.OK;
  }

  static int verify(
      Io io,
      String name,
      String signature,
      Supplier<HmacKeyring> keyring,
      HmacAlgorithm algorithm,
      Path file,
      boolean json)
      throws IOException {
    byte[] mac = HmacEncoding.decodeAny(signature, algorithm);
    HmacKeyring ring = keyring.get();
    Optional<VersionMatch> match;
    try (InputStream body = BodyInput.open(io, file)) {
      match = ring.verify(algorithm, body, mac);
    }
    if (json) {
      String fields =
          match
              .map(m ->
                  ",\"valid\":true,\"version\":"
                      + m.version()
                      + ",\"stage\":\""
                      + m.stage().wireName()
                      + "\"")
              .orElse(",\"valid\":false");
      io.out().println("{\"name\":" + Json.write(name) + fields + "}");
    } else if (match.isPresent()) {
      VersionMatch m = match.get();
      io.out()
          .println(
              "valid: " + name + " version " + m.version() + " (" + m.stage().wireName() + ")");
    }
    io.out().flush();
    if (match.isEmpty()) {
      io.err().println("keyturn: " + name + ": the signature matches no version of the keyring");
      return ExitCode.FOUND;
    }
    return ExitCode.OK;
  }

  static int encrypt(Io io, Supplier<FernetKeyring> keyring, Path file) throws IOException {
    FernetKeyring ring = keyring.get();
    byte[] plaintext;
    try (InputStream in = BodyInput.open(io, file)) {
      plaintext = in.readAllBytes();
    }
    io.out().println(ring.encrypt(plaintext));
    io.out().flush();
    return ExitCode.OK;
  }

  /** {@code ttl} is the option's text, or null. */
  static int decrypt(Io io, Supplier<FernetKeyring> keyring, String ttl, Path file)
      throws IOException {
    Optional<Duration> maxAge = ttl == null ? Optional.empty() : Optional.of(Durations.parse(ttl));
    FernetKeyring ring = keyring.get();
    String token;
    try (InputStream in = BodyInput.open(io, file)) {
      byte[] bytes = in.readNBytes(MAX_TOKEN + 1);
      if (bytes.length > MAX_TOKEN) {
        throw new KeyringException.InvalidToken();
      }
      // white space around the token (echo's newline) is not part of it
      token = new String(bytes, StandardCharsets.ISO_8859_1).strip();
    }
    byte[] plaintext = maxAge.isPresent() ? ring.decrypt(token, maxAge.get()) : ring.decrypt(token);
    io.out().writeBytes(plaintext);
    io.out().flush();
    return ExitCode.OK;
  }

  /** The table of {@code keyring NAME}: a header, then one row per version. */
  static void table(Io io, List<String[]> rows) {
    Table table = new Table("VERSION", "STAGE", "ACCEPT UNTIL", "VALUE");
    for (String[] row : rows) {
      table.row((Object[]) row);
    }
    table.print(io.out());
    io.out().flush();
  }

  /** The rows of a keyring read with Jackson. */
  static List<String[]> rows(KeyringResponse ring) {
    List<String[]> rows = new ArrayList<>();
    for (KeyringEntry e : ring.versions()) {
      String text =
          e.value().isString()
              ? e.value().stringValue()
              : WireJson.mapper().writeValueAsString(e.value());
      String cell = plain(text) ? text : WireJson.mapper().writeValueAsString(text);
      rows.add(new String[] {Integer.toString(e.version()), e.stage(), e.acceptUntil(), cell});
    }
    return rows;
  }

  /** Whether a value is shown as it is: not empty, no line break or other control character. */
  static boolean plain(String text) {
    return !text.isEmpty() && text.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
  }
}
