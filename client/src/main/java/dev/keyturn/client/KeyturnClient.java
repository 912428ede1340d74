package dev.keyturn.client;

import dev.keyturn.client.internal.KeyringVersions;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.HmacKeyring;
import dev.keyturn.keyring.JwtKeyring;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java client of a Keyturn server: reads values and keyrings, writes versions (with
 * compare-and-set), lists names, follows change events and registers the process as a consumer.
 * Build the HTTP implementation with {@link #builder()}; in tests use {@code FakeKeyturn} from the
 * {@code keyturn-client-testing} artifact, which behaves the same way.
 *
 * <p>Implementations are thread-safe: build one and share it; close it when done. Every method
 * throws a {@link KeyturnClientException} subclass on failure, never a checked exception: {@link
 * KeyturnNotFoundException}, {@link KeyturnForbiddenException}, {@link
 * KeyturnUnauthorizedException}, {@link KeyturnConflictException}, {@link
 * KeyturnThrottledException}, {@link KeyturnUnavailableException} or {@link
 * KeyturnInvalidRequestException}. A name that is not canonical ({@code ..}, {@code %2F}, CR/LF,
 * ...) is refused with {@link KeyturnInvalidRequestException} before anything is sent.
 *
 * <p>Security: values come back as {@link SecretValue}, whose {@code toString} is redacted; no
 * message of any exception holds a value or the token.
 */
public interface KeyturnClient extends AutoCloseable {

  /**
   * A builder of the HTTP implementation; the address defaults to {@code http://127.0.0.1:8270}.
   */
  static HttpKeyturnClient.Builder builder() {
    return HttpKeyturnClient.builder();
  }

  /**
   * The current version of {@code name} ({@code read}).
   *
   * @throws KeyturnNotFoundException when there is no such secret or it has no current version
   */
  SecretValue get(String name);

  /**
   * Version {@code version} of {@code name} ({@code read}; a retired version needs {@code admin}).
   *
   * @throws KeyturnNotFoundException when there is no such version
   */
  SecretValue getVersion(String name, int version);

  /**
   * The version of {@code name} in {@code stage} ({@code read}): for {@link Stage#PREVIOUS} the
   * newest previous one.
   *
   * @throws KeyturnNotFoundException when no version stands in that stage
   * @throws KeyturnInvalidRequestException for {@link Stage#RETIRED}, which is read by number
   */
  SecretValue getStage(String name, Stage stage);

  /**
   * What a verifier or decrypter of {@code name} should accept now ({@code read}).
   *
   * @throws KeyturnNotFoundException when there is no such secret
   */
  Keyring keyring(String name);

  /**
   * The secret's HMAC keyring as it stands now (one request; fetch again after a change event).
   *
   * @throws dev.keyturn.keyring.KeyringException.InvalidKey when a version's value is JSON
   */
  default HmacKeyring hmacKeyring(String name) {
    return HmacKeyring.of(name, KeyringVersions.of(keyring(name)));
  }

  /**
   * The secret's Fernet keyring as it stands now (one request; fetch again after a change event).
   *
   * @throws dev.keyturn.keyring.KeyringException.InvalidKey naming a version that is not a Fernet
   *     key
   */
  default FernetKeyring fernetKeyring(String name) {
    return FernetKeyring.of(name, KeyringVersions.of(keyring(name)));
  }

  /**
   * The secret's JWT keyring as it stands now, with the algorithm its rule's generator sets and
   * token lifetimes bounded by its grace ({@code read}; one request; fetch again after a change).
   *
   * @throws dev.keyturn.keyring.KeyringException without a rule, for a generator that makes no JWT
   *     key, or naming a version that is not the key its generator makes
   */
  default JwtKeyring jwtKeyring(String name) {
    return jwtKeyring(name, JwtOptions.defaults());
  }

  /**
   * As {@link #jwtKeyring(String)}, signing and accepting the algorithm {@code options} names.
   *
   * @throws dev.keyturn.keyring.KeyringException as {@link #jwtKeyring(String)} does, or for an
   *     algorithm the key cannot use
   */
  JwtKeyring jwtKeyring(String name, JwtOptions options);

  /**
   * Writes a new version ({@code write}). A write with {@link PutRequest.Builder#expectedVersion}
   * is retried on connection failures and 503; a plain write never is.
   *
   * @throws KeyturnConflictException when the expected version is not current ({@link
   *     KeyturnConflictException#isCasMismatch()}), a pending version already exists, or a rotation
   *     runs; nothing was written
   */
  WriteResult put(PutRequest request);

  /**
   * The first page of the names that start with {@code prefix} (empty: every name; {@code app/} for
   * the folder {@code app}) and that the token may list ({@code list}; others are left out).
   */
  SecretPage list(String prefix);

  /**
   * The page of names at or below {@code prefix} that {@code pageToken} continues ({@code list}).
   */
  SecretPage list(String prefix, String pageToken);

  /** Every name starting with {@code prefix} the token may list, following the pages. */
  default List<SecretInfo> listAll(String prefix) {
    List<SecretInfo> all = new ArrayList<>();
    SecretPage page = list(prefix);
    all.addAll(page.secrets());
    while (page.nextPageToken().isPresent()) {
      page = list(prefix, page.nextPageToken().get());
      all.addAll(page.secrets());
    }
    return List.copyOf(all);
  }

  /**
   * Follows the change events of the secrets at or below {@code prefix} (empty: every name) that
   * the token may list or read, on a thread of its own, until closed. Events never carry a value.
   */
  KeyturnWatch watch(String prefix, ChangeListener listener);

  /**
   * Registers the consumer or sends its heartbeat ({@code read} on each secret it names); the id
   * belongs to this client's token from then on.
   *
   * @throws KeyturnConflictException when another token registered the id
   */
  void registerConsumer(ConsumerRegistration registration);

  /** The consumer {@code id}, registered by this client's token, departs (nothing if unknown). */
  void departConsumer(String id);

  /**
   * Releases the client's resources; it is unusable afterwards. Never throws a checked exception.
   */
  @Override
  void close();
}
