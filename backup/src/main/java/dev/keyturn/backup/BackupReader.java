package dev.keyturn.backup;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * Reads a backup document (see {@link BackupDocument} for what is checked) as a stream, with
 * Jackson's streaming parser: each secret is checked whole (its versions, every value against its
 * SHA-256) and handed to the caller as soon as its object ends, so nothing but one secret is held
 * by the reader. Values go from the parser's character buffer straight to UTF-8 bytes in a {@link
 * Plaintext}, never through a {@code String}. The checks that need the whole document (the secret
 * count, names unique and under the prefix, nothing after the end) are made at its end, so a caller
 * must write nothing until {@link #read} has returned. Stateless.
 */
public final class BackupReader {
  private BackupReader() {}

  /** What a document held, besides its secrets. */
  public record Summary(BackupDocument.Header header, int secrets, int versions) {
    public Summary {
      requireNonNull(header, "header");
    }
  }

  /**
   * Reads and checks the document in {@code in}, handing each checked secret to {@code each}, which
   * owns it from then on (and destroys it when done). When this throws, secrets already handed over
   * belong to a document that is not valid: the caller drops them.
   *
   * @throws KeyturnException.InvalidInput naming the first thing wrong, never a value
   */
  public static Summary read(InputStream in, Consumer<BackupSecret> each) {
    requireNonNull(in, "in");
    requireNonNull(each, "each");
    try (JsonParser p = BackupJson.MAPPER.createParser(in)) {
      return document(p, each);
    } catch (JacksonException e) {
      throw invalid("it is not well-formed JSON (truncated?)");
    }
  }

  private static Summary document(JsonParser p, Consumer<BackupSecret> each) {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw invalid("it is not a JSON object");
    }
    Set<String> seenFields = new HashSet<>();
    String format = null;
    Integer formatVersion = null;
    String createdAt = null;
    String serverId = null;
    String rootKeyId = null;
    Optional<String> checkpoint = null;
    String prefix = null;
    Integer count = null;
    int secrets = -1;
    int versions = 0;
    Set<SecretName> names = new HashSet<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      String field = p.currentName();
      if (!BackupDocument.TOP.contains(field)) {
        throw invalid("the document has an unknown field '" + printable(field) + "'");
      }
      if (!seenFields.add(field)) {
        throw invalid("the document has the field " + field + " twice");
      }
      JsonToken value = p.nextToken();
      switch (field) {
        case "format" -> format = text(p, value, field, "the document");
        case "format_version" -> {
          if (value != JsonToken.VALUE_NUMBER_INT
              || p.getNumberType() != JsonParser.NumberType.INT
              || p.getIntValue() != BackupDocument.VERSION) {
            throw invalid(
                "format_version "
                    + p.getText()
                    + " is not one this Keyturn reads ("
                    + BackupDocument.VERSION
                    + "); use a newer Keyturn");
          }
          formatVersion = p.getIntValue();
        }
        case "created_at" -> createdAt = text(p, value, field, "the document");
        case "server_id" -> serverId = text(p, value, field, "the document");
        case "root_key_id" -> rootKeyId = text(p, value, field, "the document");
        case "audit_checkpoint" ->
            checkpoint =
                value == JsonToken.VALUE_NULL
                    ? Optional.empty()
                    : Optional.of(text(p, value, field, "the document"));
        case "prefix" -> {
          prefix = text(p, value, field, "the document");
          if (!prefix.isEmpty()) {
            prefix = name(prefix, "prefix").value();
          }
        }
        case "secret_count" -> {
          if (value != JsonToken.VALUE_NUMBER_INT
              || p.getNumberType() != JsonParser.NumberType.INT) {
            throw invalid("secret_count does not match the secrets listed (truncated?)");
          }
          count = p.getIntValue();
        }
        case "secrets" -> {
          if (value != JsonToken.START_ARRAY) {
            throw invalid("secrets is not a list");
          }
          secrets = 0;
          for (JsonToken s = p.nextToken(); s != JsonToken.END_ARRAY; s = p.nextToken()) {
            BackupSecret secret = secret(p, s);
            if (prefix != null
                && !prefix.isEmpty()
                && !secret.name().value().startsWith(prefix + "/")) {
              secret.destroy();
              throw outside(secret.name(), prefix);
            }
            if (!names.add(secret.name())) {
              secret.destroy();
              throw invalid(secret.name() + " is listed twice");
            }
            secrets++;
            versions += secret.versions().size();
            each.accept(secret);
          }
        }
        default -> throw new IllegalStateException("unhandled field " + field);
      }
    }
    for (String field : BackupDocument.TOP) {
      if (!seenFields.contains(field)) {
        throw invalid("the document lacks the field " + field);
      }
    }
    if (p.nextToken() != null) {
      throw invalid("something follows the document");
    }
    if (!BackupDocument.FORMAT.equals(format)) {
      throw invalid("format is not " + BackupDocument.FORMAT);
    }
    if (count != secrets) {
      throw invalid("secret_count does not match the secrets listed (truncated?)");
    }
    if (!prefix.isEmpty()) {
      for (SecretName n : names) {
        if (!n.value().startsWith(prefix + "/")) {
          throw outside(n, prefix);
        }
      }
    }
    requireNonNull(formatVersion, "formatVersion");
    return new Summary(
        new BackupDocument.Header(
            time(createdAt, "created_at", "the document"), serverId, rootKeyId, checkpoint, prefix),
        secrets,
        versions);
  }

  private static BackupSecret secret(JsonParser p, JsonToken start) {
    if (start != JsonToken.START_OBJECT) {
      throw invalid("a secret is not a JSON object");
    }
    Set<String> seen = new HashSet<>();
    SecretName name = null;
    Optional<Map<String, Object>> rule = Optional.empty();
    List<Pending> versions = null;
    try {
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        if (!BackupDocument.SECRET.contains(field)) {
          throw invalid("a secret has an unknown field '" + printable(field) + "'");
        }
        if (!seen.add(field)) {
          throw invalid("a secret has the field " + field + " twice");
        }
        JsonToken value = p.nextToken();
        switch (field) {
          case "name" -> name = name(text(p, value, field, "a secret"), "name");
          case "rule" -> {
            if (value == JsonToken.START_OBJECT) {
              rule = Optional.of(p.readValueAs(BackupJson.MAP));
            } else if (value != JsonToken.VALUE_NULL) {
              throw invalid("a secret's rule is not a JSON object");
            }
          }
          case "versions" -> {
            if (value != JsonToken.START_ARRAY) {
              throw invalid("a secret's versions is not a non-empty list");
            }
            versions = new ArrayList<>();
            for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
              versions.add(version(p, v));
            }
          }
          default -> throw new IllegalStateException("unhandled field " + field);
        }
      }
      for (String field : BackupDocument.SECRET) {
        if (!seen.contains(field)) {
          throw invalid("a secret lacks the field " + field);
        }
      }
      if (versions.isEmpty()) {
        throw invalid(name + ": versions is not a non-empty list");
      }
      List<BackupVersion> checked = new ArrayList<>(versions.size());
      int last = 0;
      int current = 0;
      int pending = 0;
      for (Pending v : versions) {
        BackupVersion version = v.check(name);
        checked.add(version);
        Version m = version.metadata();
        if (m.number() <= last) {
          throw invalid(name + "#" + m.number() + ": versions are not in increasing order");
        }
        last = m.number();
        current += m.stage() == Stage.CURRENT ? 1 : 0;
        pending += m.stage() == Stage.PENDING ? 1 : 0;
      }
      if (current > 1 || pending > 1) {
        throw invalid(name + ": more than one current or pending version");
      }
      return new BackupSecret(name, rule, checked);
    } catch (RuntimeException e) {
      if (versions != null) {
        versions.forEach(Pending::destroy);
      }
      throw e;
    }
  }

  /** One version as read, checked once its secret's name is known (it may come last). */
  private static final class Pending {
    final Set<String> seen = new HashSet<>();
    int number = -1;
    String stage;
    String type;
    String createdAt;
    String createdBy;
    Optional<String> acceptUntil;
    byte[] value;
    String sha256;

    void destroy() {
      if (value != null) {
        Arrays.fill(value, (byte) 0);
      }
    }

    BackupVersion check(SecretName name) {
      if (number < 1) {
        throw invalid(name + ": a version number is not a positive integer");
      }
      String label = name + "#" + number;
      for (String field : BackupDocument.VERSION_FIELDS) {
        if (!seen.contains(field)) {
          throw invalid(label + " lacks the field " + field);
        }
      }
      Stage s;
      ValueType t;
      try {
        s = Stage.fromWire(stage);
        t = ValueType.fromWire(type);
      } catch (KeyturnException.InvalidInput e) {
        throw invalid(label + ": unknown stage or type");
      }
      if (s == Stage.RETIRED) {
        throw invalid(label + ": a backup holds no retired version");
      }
      Optional<Instant> until = acceptUntil.map(a -> time(a, "accept_until", label));
      if (until.isPresent() && s != Stage.PREVIOUS) {
        throw invalid(label + ": only a previous version has accept_until");
      }
      if (value.length == 0 || value.length > SecretService.MAX_VALUE_BYTES) {
        throw invalid(label + ": the value is empty or too large");
      }
      if (!MessageDigest.isEqual(
          HexFormat.of()
              .formatHex(BackupDocument.sha256(value))
              .getBytes(StandardCharsets.US_ASCII),
          sha256.getBytes(StandardCharsets.US_ASCII))) {
        throw invalid(label + ": the value does not match its SHA-256");
      }
      if (t == ValueType.JSON && !isJsonObject(value)) {
        throw invalid(label + ": type json, but the value is not a JSON object");
      }
      Version metadata =
          new Version(number, s, t, time(createdAt, "created_at", label), createdBy, until, "");
      return new BackupVersion(metadata, Plaintext.wrap(value));
    }
  }

  private static Pending version(JsonParser p, JsonToken start) {
    if (start != JsonToken.START_OBJECT) {
      throw invalid("a version is not a JSON object");
    }
    Pending v = new Pending();
    try {
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        if (!BackupDocument.VERSION_FIELDS.contains(field)) {
          throw invalid("a version has an unknown field '" + printable(field) + "'");
        }
        if (!v.seen.add(field)) {
          throw invalid("a version has the field " + field + " twice");
        }
        JsonToken value = p.nextToken();
        String where = "a version";
        switch (field) {
          case "version" -> {
            if (value != JsonToken.VALUE_NUMBER_INT
                || p.getNumberType() != JsonParser.NumberType.INT
                || p.getIntValue() < 1) {
              throw invalid("a version number is not a positive integer");
            }
            v.number = p.getIntValue();
          }
          case "stage" -> v.stage = text(p, value, field, where);
          case "type" -> v.type = text(p, value, field, where);
          case "created_at" -> v.createdAt = text(p, value, field, where);
          case "created_by" -> v.createdBy = text(p, value, field, where);
          case "accept_until" ->
              v.acceptUntil =
                  value == JsonToken.VALUE_NULL
                      ? Optional.empty()
                      : Optional.of(text(p, value, field, where));
          case "value" -> {
            if (value != JsonToken.VALUE_STRING) {
              throw invalid("a version's value is not a string");
            }
            v.value = utf8(p);
          }
          case "sha256" -> v.sha256 = text(p, value, field, where);
          default -> throw new IllegalStateException("unhandled field " + field);
        }
      }
      return v;
    } catch (RuntimeException e) {
      v.destroy();
      throw e;
    }
  }

  /** The current string token as UTF-8 bytes, without making a {@code String} of it. */
  private static byte[] utf8(JsonParser p) {
    char[] chars = p.getStringCharacters();
    int offset = p.getStringOffset();
    int length = p.getStringLength();
    if ((long) length * 3 > SecretService.MAX_VALUE_BYTES * 3L + 3) {
      throw invalid("a value is too large");
    }
    // Most values are ASCII: copied as they are, without an encoder and its buffer.
    byte[] ascii = new byte[length];
    for (int i = 0; i < length; i++) {
      char c = chars[offset + i];
      if (c >= 0x80) {
        Arrays.fill(ascii, 0, i, (byte) 0);
        return encode(chars, offset, length);
      }
      ascii[i] = (byte) c;
    }
    return ascii;
  }

  private static byte[] encode(char[] chars, int offset, int length) {
    CharsetEncoder encoder =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer out = ByteBuffer.allocate(length * 3);
    try {
      var result = encoder.encode(CharBuffer.wrap(chars, offset, length), out, true);
      if (result.isError()) {
        result.throwException();
      }
      result = encoder.flush(out);
      if (result.isError()) {
        result.throwException();
      }
      return Arrays.copyOf(out.array(), out.position());
    } catch (CharacterCodingException e) {
      throw invalid("a value is not valid Unicode text");
    } finally {
      Arrays.fill(out.array(), (byte) 0);
    }
  }

  /** Whether {@code bytes} are one JSON object and nothing else; builds no tree of it. */
  private static boolean isJsonObject(byte[] bytes) {
    try (JsonParser p = BackupJson.MAPPER.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      p.skipChildren();
      return p.nextToken() == null;
    } catch (JacksonException e) {
      return false;
    }
  }

  private static String text(JsonParser p, JsonToken token, String field, String where) {
    if (token != JsonToken.VALUE_STRING) {
      throw invalid(where + ": " + field + " is not a string");
    }
    return p.getString();
  }

  private static Instant time(String text, String field, String where) {
    try {
      return BackupTimes.parse(text);
    } catch (DateTimeParseException e) {
      throw invalid(where + ": " + field + " is not an RFC 3339 UTC time");
    }
  }

  private static SecretName name(String raw, String field) {
    try {
      return SecretName.of(raw);
    } catch (KeyturnException.InvalidInput e) {
      throw invalid(field + " is not a canonical secret name: " + e.getMessage());
    }
  }

  private static KeyturnException.InvalidInput outside(SecretName name, String prefix) {
    return invalid(name + " lies outside the backup's prefix '" + prefix + "'");
  }

  private static String printable(String text) {
    String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return cut.replaceAll("[^A-Za-z0-9._/ -]", "?");
  }

  static KeyturnException.InvalidInput invalid(String why) {
    return new KeyturnException.InvalidInput("the backup is not valid: " + why);
  }
}
