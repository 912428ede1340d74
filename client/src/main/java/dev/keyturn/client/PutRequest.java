package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import dev.keyturn.client.internal.Names;
import dev.keyturn.client.internal.ValueJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * A write of a new version ({@code PUT /v1/secrets/{name}}): exactly one of a text value, a JSON
 * object value or a generator spec; optionally a grace for the replaced version, the stage ({@link
 * Stage#CURRENT} by default, or {@link Stage#PENDING}), and a compare-and-set expectation ({@link
 * Builder#expectedVersion}). Immutable.
 *
 * <p>Retries: {@link KeyturnClient#put} sends a write with an expected version again after a
 * connection failure or a 503 (the server applies it at most once); it never resends a plain write,
 * since each one makes a version.
 *
 * <p>Security: {@code toString} never shows the value.
 */
public final class PutRequest {
  private final String name;
  private final byte[] value;
  private final boolean json;
  private final String generate;
  private final Duration grace;
  private final Stage stage;
  private final Integer expectedVersion;
  private final boolean allowPlaceholder;

  private PutRequest(Builder b) {
    this.name = b.name;
    this.value = b.value;
    this.json = b.json;
    this.generate = b.generate;
    this.grace = b.grace;
    this.stage = b.stage;
    this.expectedVersion = b.expectedVersion;
    this.allowPlaceholder = b.allowPlaceholder;
  }

  /** A builder for a write to {@code name}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Writes the text {@code value} to {@code name}, made current at once. */
  public static PutRequest text(String name, String value) {
    return builder(name).text(value).build();
  }

  /** Writes a value the server generates with {@code spec} ({@code hex:32}, {@code fernet} ...). */
  public static PutRequest generate(String name, String spec) {
    return builder(name).generate(spec).build();
  }

  /** The secret written. */
  public String name() {
    return name;
  }

  /** Whether the value is a JSON object (false for text and for a generated value). */
  public boolean isJson() {
    return json;
  }

  /** The value as UTF-8 (a copy), unless the server generates it. */
  public Optional<byte[]> revealValue() {
    return value == null ? Optional.empty() : Optional.of(value.clone());
  }

  /** The generator spec, when the server generates the value. */
  public Optional<String> generator() {
    return Optional.ofNullable(generate);
  }

  /** How long the replaced current version stays accepted as previous (empty: retired at once). */
  public Optional<Duration> grace() {
    return Optional.ofNullable(grace);
  }

  /** The stage the new version enters. */
  public Stage stage() {
    return stage;
  }

  /** The version expected current (0: none yet), for a compare-and-set write. */
  public Optional<Integer> expectedVersion() {
    return Optional.ofNullable(expectedVersion);
  }

  /** Whether a placeholder-looking value may be stored. */
  public boolean allowPlaceholder() {
    return allowPlaceholder;
  }

  /** Name and options; never the value. */
  @Override
  public String toString() {
    return "PutRequest["
        + name
        + (generate != null ? ", generate=" + generate : ", value=[redacted]")
        + ", stage="
        + stage.wireName()
        + (grace != null ? ", grace=" + grace : "")
        + (expectedVersion != null ? ", cas=" + expectedVersion : "")
        + "]";
  }

  /** Builds a {@link PutRequest}; {@link #build} checks it. */
  public static final class Builder {
    private final String name;
    private byte[] value;
    private boolean json;
    private String generate;
    private Duration grace;
    private Stage stage = Stage.CURRENT;
    private Integer expectedVersion;
    private boolean allowPlaceholder;

    private Builder(String name) {
      this.name = Names.secret(name);
    }

    /** The value is the text {@code value}. */
    public Builder text(String value) {
      this.value = requireNonNull(value, "value").getBytes(StandardCharsets.UTF_8);
      this.json = false;
      return this;
    }

    /**
     * The value is the JSON object {@code jsonObject} (for a database secret: {@code engine},
     * {@code host}, {@code port}, {@code dbname}, {@code username}, {@code password}).
     *
     * @throws KeyturnInvalidRequestException when it is not one JSON object (the message does not
     *     quote it)
     */
    public Builder json(String jsonObject) {
      this.value = ValueJson.compactObject(requireNonNull(jsonObject, "jsonObject"));
      this.json = true;
      return this;
    }

    /** The server generates the value with {@code spec} ({@code hex:32}, {@code fernet} ...). */
    public Builder generate(String spec) {
      this.generate = requireNonNull(spec, "spec");
      return this;
    }

    /**
     * The replaced current version stays accepted as previous for {@code grace} (whole seconds;
     * zero: retired at once, the default).
     */
    public Builder grace(Duration grace) {
      requireNonNull(grace, "grace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("grace may not be negative");
      }
      this.grace = grace;
      return this;
    }

    /** {@link Stage#CURRENT} (the default) or {@link Stage#PENDING}. */
    public Builder stage(Stage stage) {
      requireNonNull(stage, "stage");
      if (stage != Stage.CURRENT && stage != Stage.PENDING) {
        throw new IllegalArgumentException("a new version is current or pending, not " + stage);
      }
      this.stage = stage;
      return this;
    }

    /**
     * Makes the write a compare-and-set: the server stores it only if {@code version} is the
     * current version when it commits ({@code 0}: the secret has no current version yet), else
     * {@link KeyturnConflictException} with {@link KeyturnConflictException#isCasMismatch()} and
     * nothing written. Such a write is retried on connection failures and 503.
     */
    public Builder expectedVersion(int version) {
      if (version < 0) {
        throw new IllegalArgumentException("an expected version is 0 or more");
      }
      this.expectedVersion = version;
      return this;
    }

    /** Lets a value that looks like a placeholder ({@code changeme}) be stored. */
    public Builder allowPlaceholder(boolean allow) {
      this.allowPlaceholder = allow;
      return this;
    }

    /**
     * @throws IllegalStateException unless exactly one of text, json and generate was given
     */
    public PutRequest build() {
      if ((value == null) == (generate == null)) {
        throw new IllegalStateException(
            name + ": give exactly one of text(...), json(...) and generate(...)");
      }
      return new PutRequest(this);
    }
  }
}
