package dev.keyturn.client;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * 409: the request contradicts the secret's state. The two kinds a caller acts on are a
 * compare-and-set mismatch ({@link #isCasMismatch()}: another version is current than the one the
 * write expected, and nothing was written; re-read and decide again) and a rotation in progress
 * ({@link #rotationId()}).
 */
public class KeyturnConflictException extends KeyturnClientException {
  private static final long serialVersionUID = 1L;
  private static final Pattern CURRENT = Pattern.compile("the current version (\\d+)");

  private final String rotationId;

  /** A 409 with the server's {@code code} and {@code message}; {@code rotationId} may be null. */
  public KeyturnConflictException(String code, String message, String rotationId) {
    super(409, code, message);
    this.rotationId = rotationId;
  }

  /** Whether this is a compare-and-set mismatch ({@code cas_mismatch}); nothing was written. */
  public boolean isCasMismatch() {
    return "cas_mismatch".equals(code());
  }

  /**
   * For a compare-and-set mismatch, the version the server found current, when its message names it
   * (0 would mean none); empty otherwise.
   */
  public Optional<Integer> currentVersion() {
    if (!isCasMismatch() || getMessage() == null) {
      return Optional.empty();
    }
    Matcher m = CURRENT.matcher(getMessage());
    return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
  }

  /** The running rotation, when the conflict is one. */
  public Optional<String> rotationId() {
    return Optional.ofNullable(rotationId);
  }
}
