package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import dev.keyturn.client.internal.Names;
import dev.keyturn.client.internal.ValueJson;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One version of a secret as read: its name, version number, stage and times, and its value, which
 * is either text or a JSON object (a database secret's {@code host}, {@code username}, {@code
 * password} ...). Immutable and thread-safe.
 *
 * <p>Security: the value is never part of {@code toString} (it shows {@code [redacted]}), {@code
 * equals} or {@code hashCode} (identity); it leaves only through the {@code reveal...} methods,
 * names meant to be grepped for. {@link #sameAs} compares values in constant time.
 */
public final class SecretValue {
  private final String name;
  private final int version;
  private final Stage stage;
  private final Instant createdAt;
  private final Instant acceptUntil;
  private final byte[] utf8;
  private final boolean json;

  private SecretValue(Builder b) {
    this.name = b.name;
    this.version = b.version;
    this.stage = b.stage;
    this.createdAt = b.createdAt;
    this.acceptUntil = b.acceptUntil;
    this.utf8 = b.utf8;
    this.json = b.json;
  }

  /**
   * A builder for version {@code version} of {@code name} in {@code stage}; for fakes and tests.
   *
   * @throws KeyturnInvalidRequestException for a name that is not canonical or a version below 1
   */
  public static Builder builder(String name, int version, Stage stage) {
    return new Builder(name, version, stage);
  }

  /** The secret's name. */
  public String name() {
    return name;
  }

  /** The version number (1, 2, 3 ...). */
  public int version() {
    return version;
  }

  /** The stage the version stood in when it was read. */
  public Stage stage() {
    return stage;
  }

  /** When the version was created, when the server said (a keyring member does not say). */
  public Optional<Instant> createdAt() {
    return Optional.ofNullable(createdAt);
  }

  /** Until when a previous version is accepted, for a keyring member in stage previous. */
  public Optional<Instant> acceptUntil() {
    return Optional.ofNullable(acceptUntil);
  }

  /** Whether the value is a JSON object rather than text. */
  public boolean isJson() {
    return json;
  }

  /** The value: the text, or a JSON object's compact JSON text. */
  public String reveal() {
    return new String(utf8, StandardCharsets.UTF_8);
  }

  /** The value as UTF-8 bytes (a copy the caller may zero). */
  public byte[] revealUtf8() {
    return utf8.clone();
  }

  /**
   * The top-level field {@code field} of a JSON value as text (a number as its digits, a boolean as
   * {@code true}/{@code false}, an object or array as JSON text); empty when the field is absent or
   * null.
   *
   * @throws IllegalStateException when the value is text, not a JSON object
   */
  public Optional<String> revealField(String field) {
    requireNonNull(field, "field");
    return Optional.ofNullable(revealFields().get(field));
  }

  /**
   * Every top-level field of a JSON value as text (see {@link #revealField}), in document order.
   *
   * @throws IllegalStateException when the value is text, not a JSON object
   */
  public Map<String, String> revealFields() {
    if (!json) {
      throw new IllegalStateException(name + "#" + version + " is text, not a JSON object");
    }
    return ValueJson.fields(utf8);
  }

  /** Whether {@code other} holds the same value, compared in constant time. */
  public boolean sameAs(SecretValue other) {
    requireNonNull(other, "other");
    return json == other.json && MessageDigest.isEqual(utf8, other.utf8);
  }

  /** Whether the value is {@code text} (a text value only), compared in constant time. */
  public boolean sameAs(String text) {
    requireNonNull(text, "text");
    return !json && MessageDigest.isEqual(utf8, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Name, version and stage; never the value. */
  @Override
  public String toString() {
    return "SecretValue[" + name + "#" + version + " " + stage.wireName() + ", value=[redacted]]";
  }

  /** Builds a {@link SecretValue}; exactly one of {@link #text} and {@link #json} is required. */
  public static final class Builder {
    private final String name;
    private final int version;
    private final Stage stage;
    private Instant createdAt;
    private Instant acceptUntil;
    private byte[] utf8;
    private boolean json;

    private Builder(String name, int version, Stage stage) {
      this.name = Names.secret(name);
      if (version < 1) {
        throw new KeyturnInvalidRequestException("invalid_request", "a version is 1 or more");
      }
      this.version = version;
      this.stage = requireNonNull(stage, "stage");
    }

    /** The value is the text {@code text}. */
    public Builder text(String text) {
      this.utf8 = requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8);
      this.json = false;
      return this;
    }

    /**
     * The value is the JSON object {@code jsonObject} (kept in compact form).
     *
     * @throws KeyturnInvalidRequestException when it is not one JSON object
     */
    public Builder json(String jsonObject) {
      this.utf8 = ValueJson.compactObject(requireNonNull(jsonObject, "jsonObject"));
      this.json = true;
      return this;
    }

    /** When the version was created. */
    public Builder createdAt(Instant createdAt) {
      this.createdAt = requireNonNull(createdAt, "createdAt");
      return this;
    }

    /** Until when a previous version is accepted. */
    public Builder acceptUntil(Instant acceptUntil) {
      this.acceptUntil = requireNonNull(acceptUntil, "acceptUntil");
      return this;
    }

    /**
     * @throws IllegalStateException when no value was given
     */
    public SecretValue build() {
      if (utf8 == null) {
        throw new IllegalStateException(name + "#" + version + ": no value (text or json)");
      }
      return new SecretValue(this);
    }
  }
}
