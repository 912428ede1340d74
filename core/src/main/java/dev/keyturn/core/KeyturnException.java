package dev.keyturn.core;

/**
 * The root of every exception Keyturn throws on purpose. Unchecked; one subclass per decision a
 * caller makes. Messages name objects and states, never a secret value.
 */
public class KeyturnException extends RuntimeException {
  public KeyturnException(String message) {
    super(message);
  }

  public KeyturnException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The named object does not exist (or is not visible in the requested stage). */
  public static final class NotFound extends KeyturnException {
    public NotFound(String message) {
      super(message);
    }
  }

  /** The request contradicts the object's current state (a stage move not allowed, a race). */
  public static class Conflict extends KeyturnException {
    public Conflict(String message) {
      super(message);
    }
  }

  /**
   * A compare-and-set write named a version as current that is not (0: it expected no current
   * version). The message names the secret and both version numbers, which are not secret.
   */
  public static final class CasMismatch extends Conflict {
    public CasMismatch(String message) {
      super(message);
    }
  }

  /** A rotation of the secret is already running; {@link #rotationId()} names it. */
  public static final class RotationInProgress extends Conflict {
    private final String rotationId;

    public RotationInProgress(String secret, String rotationId) {
      super(secret + " is already being rotated by " + rotationId);
      this.rotationId = rotationId;
    }

    public String rotationId() {
      return rotationId;
    }
  }

  /**
   * A target refused a step (set, test, rollback); the message says what it answered. {@link
   * #retryable()} tells whether trying again may help: a refused connection or a timeout may pass,
   * an authentication refusal (SMTP 535, PostgreSQL 28P01, MariaDB 1045, Redis WRONGPASS) will not,
   * and retrying it can lock an account at a provider.
   */
  public static final class TargetFailure extends KeyturnException {
    private final boolean retryable;

    public TargetFailure(String message) {
      this(message, true);
    }

    public TargetFailure(String message, Throwable cause) {
      super(message, cause);
      this.retryable = true;
    }

    /** A failure that trying again cannot mend when {@code retryable} is false. */
    public TargetFailure(String message, boolean retryable) {
      super(message);
      this.retryable = retryable;
    }

    /** A failure that trying again cannot mend: an authentication refusal. */
    public static TargetFailure permanent(String message) {
      return new TargetFailure(message, false);
    }

    /** Whether a later attempt may succeed (false: roll back at once). */
    public boolean retryable() {
      return retryable;
    }
  }

  /**
   * A value was refused by a hygiene check ({@link ValueChecks}): a placeholder. {@link #check()}
   * is the check's stable id; the message names the secret and the check, never the value.
   */
  public static final class RefusedValue extends KeyturnException {
    private final String check;

    public RefusedValue(String message, String check) {
      super(message);
      this.check = check;
    }

    /** The stable id of the check that refused the value, e.g. {@code value.placeholder}. */
    public String check() {
      return check;
    }
  }

  /** The input is malformed: a bad name, spec, duration or value. */
  public static final class InvalidInput extends KeyturnException {
    public InvalidInput(String message) {
      super(message);
    }
  }

  /** The caller is known but lacks the capability. */
  public static final class Forbidden extends KeyturnException {
    public Forbidden(String message) {
      super(message);
    }
  }

  /** The caller could not be identified: no token, an unknown, expired or revoked token. */
  public static final class Unauthenticated extends KeyturnException {
    public Unauthenticated(String message) {
      super(message);
    }
  }

  /** Decryption or authentication of stored material failed; the data or key is wrong. */
  public static final class CryptoFailure extends KeyturnException {
    public CryptoFailure(String message) {
      super(message);
    }

    public CryptoFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Stored data failed an integrity check: a row's MAC does not match, a row is older than the
   * audit chain says (a replayed row), or a ciphertext does not open where its row says it should.
   * The data was not served. {@link #object()} names the object (never a value).
   */
  public static final class IntegrityFailure extends KeyturnException {
    private final String object;

    public IntegrityFailure(String object, String message) {
      super(object + ": " + message);
      this.object = object;
    }

    public IntegrityFailure(String object, String message, Throwable cause) {
      super(object + ": " + message, cause);
      this.object = object;
    }

    public String object() {
      return object;
    }
  }

  /** A dependency (the store, the disk) cannot serve the request now; retrying may work. */
  public static final class Unavailable extends KeyturnException {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
