package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.crypto.Aad;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.core.spi.UnitOfWork;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.crypto.SecretKey;

/**
 * Stores, reads and stages secret versions: encrypts on the way in, decrypts on the way out, and
 * leaves stage rules to {@link VersionSet}. Knows nothing of HTTP or SQL; authorization is the
 * caller's job.
 *
 * <p>Every change runs in a {@link UnitOfWork} the caller gives, so that the caller can commit it
 * with its audit records (and, for a rotation, the rotation's new state) or not at all (DESIGN
 * invariant 9); {@link #inTransaction} opens one on the service's store.
 *
 * <p>Thread-safe. Caches unwrapped data keys (never values) by secret id.
 */
public final class SecretService {
  /** The largest value accepted, in bytes. */
  public static final int MAX_VALUE_BYTES = 512 * 1024;

  private static final int DATA_KEY_CACHE_LIMIT = 100_000;

  /** No compare-and-set: a plain put. */
  private static final int NO_CAS = -1;

  private final Store store;
  private final Envelope envelope;
  private final Clock clock;
  private final Map<Long, CachedDataKey> dataKeys = new ConcurrentHashMap<>();

  public SecretService(Store store, Envelope envelope, Clock clock) {
    this.store = requireNonNull(store, "store");
    this.envelope = requireNonNull(envelope, "envelope");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Runs {@code work} in one unit of work of this service's store and commits it when {@code work}
   * returns (see {@link Store#inTransaction}). Going through the service keeps its store's read
   * cache in step with what the unit changed.
   */
  public <T> T inTransaction(Function<UnitOfWork, T> work) {
    return store.inTransaction(work);
  }

  /**
   * Stores {@code value} as a new version of {@code name}, in stage {@code current} or {@code
   * pending}. A new current version demotes the old one to previous for {@code grace} (retired at
   * once when zero). The value is encrypted before it reaches the store.
   *
   * @return the secret after the write ({@link WriteResult#newest()} is the new version)
   */
  public WriteResult put(
      UnitOfWork work,
      SecretName name,
      Plaintext value,
      ValueType type,
      Duration grace,
      Stage stage,
      String actor) {
    return put(work, name, value, type, grace, stage, actor, NO_CAS);
  }

  /**
   * As {@link #put(UnitOfWork, SecretName, Plaintext, ValueType, Duration, Stage, String)}, as a
   * compare-and-set: the write happens only if the version in stage {@code current} is {@code
   * expectedCurrent} (0: the secret has no current version, because it was never written or all its
   * versions are retired). The check runs inside the store's update of {@code name}, which excludes
   * every other update of it, so two writers naming the same version cannot both succeed.
   *
   * @throws KeyturnException.CasMismatch if another version is current; nothing is written
   */
  public WriteResult putIfCurrent(
      UnitOfWork work,
      SecretName name,
      int expectedCurrent,
      Plaintext value,
      ValueType type,
      Duration grace,
      Stage stage,
      String actor) {
    if (expectedCurrent < 0) {
      throw new KeyturnException.InvalidInput(name + ": cas must be 0 or a version number");
    }
    return put(work, name, value, type, grace, stage, actor, expectedCurrent);
  }

  private WriteResult put(
      UnitOfWork work,
      SecretName name,
      Plaintext value,
      ValueType type,
      Duration grace,
      Stage stage,
      String actor,
      int expectedCurrent) {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    requireNonNull(type, "type");
    requireNonNull(grace, "grace");
    requireNonNull(actor, "actor");
    if (value.isEmpty()) {
      throw new KeyturnException.InvalidInput(name + ": the value is empty");
    }
    if (value.length() > MAX_VALUE_BYTES) {
      throw new KeyturnException.InvalidInput(
          name + ": the value is larger than " + MAX_VALUE_BYTES + " bytes");
    }
    value.revealUtf8(); // values are text; binary material is stored base64-encoded
    Instant now = clock.instant();
    return update(
        work,
        name,
        secret -> {
          if (expectedCurrent != NO_CAS) {
            int current = secret.versions().current().map(Version::number).orElse(0);
            if (current != expectedCurrent) {
              throw new KeyturnException.CasMismatch(
                  name
                      + ": cas "
                      + expectedCurrent
                      + " does not match the current version "
                      + (current == 0 ? "(none)" : String.valueOf(current)));
            }
          }
          Optional<byte[]> newWrapped = Optional.empty();
          byte[] wrapped;
          if (secret.wrappedDataKey().isPresent()) {
            wrapped = secret.wrappedDataKey().get();
          } else {
            wrapped =
                envelope.newWrappedDataKey(
                    secret.id(), secret.name().value(), StoredSecret.DATA_KEY);
            newWrapped = Optional.of(wrapped);
          }
          SecretKey dataKey = dataKey(secret, wrapped);
          int number = secret.versions().nextNumber();
          byte[] bytes = value.reveal();
          try {
            Version version =
                new Version(
                    number,
                    stage,
                    type,
                    now,
                    actor,
                    Optional.empty(),
                    envelope.fingerprint(dataKey, bytes));
            VersionSet versions =
                secret.versions().add(version, grace, now, holds(work, secret, now).held());
            byte[] ciphertext =
                envelope.sealValue(
                    dataKey,
                    StoredSecret.DATA_KEY,
                    bytes,
                    Aad.forValue(secret.id(), secret.name().value(), number));
            return new SecretChange(versions, Map.of(number, ciphertext), newWrapped, false);
          } finally {
            Arrays.fill(bytes, (byte) 0);
          }
        });
  }

  /**
   * Reads one version. Retired versions (including previous ones whose grace ended) are returned
   * only by number and only when {@code allowRetired}.
   *
   * @throws KeyturnException.NotFound if the secret or the version does not exist or was destroyed
   * @throws KeyturnException.Forbidden if the version is retired and {@code allowRetired} is false
   */
  public SecretValue read(SecretName name, Selector selector, boolean allowRetired) {
    StoredSecret secret = find(name);
    Instant now = clock.instant();
    Set<Integer> held = holds(secret, now).held();
    VersionSet versions = secret.versions().expire(now, held);
    Version version;
    if (selector.version().isPresent()) {
      int number = selector.version().get();
      version =
          versions
              .version(number)
              .orElseThrow(
                  () -> new KeyturnException.NotFound(name + "#" + number + " does not exist"));
      if (version.stage() == Stage.RETIRED && !allowRetired) {
        throw new KeyturnException.Forbidden(
            name + "#" + number + " is retired; reading it needs the admin capability");
      }
    } else {
      if (versions.allRetired()) {
        throw new KeyturnException.NotFound(
            name + " is deleted (its versions are retired; admins read them by number)");
      }
      Stage stage = selector.stage().orElse(Stage.CURRENT);
      Optional<Version> found =
          switch (stage) {
            case CURRENT -> versions.current();
            case PENDING -> versions.pending();
            case PREVIOUS -> versions.newestPrevious(now, held);
            case RETIRED -> Optional.empty();
          };
      version =
          found.orElseThrow(() ->
              new KeyturnException.NotFound(name + " has no " + stage.wireName() + " version"));
    }
    return decrypt(secret, version);
  }

  /**
   * Opens one version of {@code secret}, a metadata snapshot taken earlier (a backup lists first
   * and reads after its audit records are durable), whatever its stage.
   *
   * <p>The secret's data key is not kept in the cache of unwrapped keys when it is not there yet: a
   * backup opens every secret once, and would push out the keys of the secrets in use.
   *
   * @throws KeyturnException.NotFound if the version was destroyed since the snapshot
   */
  public SecretValue open(StoredSecret secret, Version version) {
    requireNonNull(secret, "secret");
    requireNonNull(version, "version");
    return decrypt(secret, version, false);
  }

  /**
   * Opens the given versions of each secret of {@code page}, metadata snapshots taken earlier (a
   * backup's page, listed before its audit records were written), as {@link #open} does each: their
   * ciphertexts are read in one go and each secret's data key is unwrapped once, then dropped
   * unless it was already cached. {@code each} gets a secret and its values in the order given;
   * they are destroyed when it returns.
   *
   * @throws KeyturnException.NotFound if a version was destroyed since the snapshot (the secrets
   *     before it were handed over)
   */
  public void openAll(
      List<Map.Entry<StoredSecret, List<Version>>> page,
      java.util.function.BiConsumer<StoredSecret, List<SecretValue>> each) {
    requireNonNull(page, "page");
    requireNonNull(each, "each");
    Map<Long, List<Integer>> wanted = new java.util.HashMap<>();
    for (Map.Entry<StoredSecret, List<Version>> item : page) {
      wanted.put(item.getKey().id(), item.getValue().stream().map(Version::number).toList());
    }
    Map<Long, Map<Integer, byte[]>> ciphertexts = store.secrets().ciphertexts(wanted);
    for (Map.Entry<StoredSecret, List<Version>> item : page) {
      StoredSecret secret = item.getKey();
      Map<Integer, byte[]> stored = ciphertexts.getOrDefault(secret.id(), Map.of());
      List<SecretValue> values = new ArrayList<>(item.getValue().size());
      DataKey key = null;
      try {
        for (Version v : item.getValue()) {
          byte[] wrapped = secret.wrappedDataKey().orElse(null);
          byte[] ciphertext = stored.get(v.number());
          if (wrapped == null || ciphertext == null) {
            throw new KeyturnException.NotFound(
                secret.name() + "#" + v.number() + " was destroyed");
          }
          if (key == null) {
            try {
              key = cachedOrUnwrapped(secret, wrapped);
            } catch (KeyturnException.CryptoFailure e) {
              throw notAuthentic(secret, v, e);
            }
          }
          values.add(openWith(secret, v, key.key(), ciphertext));
        }
        each.accept(secret, values);
      } finally {
        values.forEach(v -> v.plaintext().destroy());
        // Only a key unwrapped here: the cache's key may be in use by other readers, even when
        // the cache has let go of it meanwhile.
        if (key != null && key.unwrappedHere()) {
          try {
            key.key().destroy();
          } catch (javax.security.auth.DestroyFailedException e) {
            // Not a key this service made: nothing else to zero.
          }
        }
      }
    }
  }

  /**
   * Creates {@code name} with exactly {@code versions} (their numbers, stages, times and grace
   * windows as given) and {@code values}, one per version: what a restore does for a secret that
   * does not exist. The store's fingerprints are computed here under the new data key; the
   * versions' own fingerprints are ignored.
   *
   * @throws KeyturnException.Conflict if {@code name} already has versions (history is never
   *     rewritten)
   * @throws KeyturnException.InvalidInput if a value is empty, too large or not UTF-8, or the
   *     versions do not form a valid set
   */
  public WriteResult restore(
      UnitOfWork work, SecretName name, List<Version> versions, Map<Integer, Plaintext> values) {
    Restoring prepared = prepareRestore(name, versions, values);
    try {
      return restore(work, prepared);
    } finally {
      prepared.destroy();
    }
  }

  /**
   * A restored secret made ready outside any transaction: its values checked, a new data key and
   * the values' fingerprints under it. What needs the secret's row (wrapping the key and sealing
   * the values, both bound to the row's id) is left to {@link #restore(UnitOfWork, Restoring)}, so
   * that a store with one writer spends less of its write transaction per secret. The caller
   * destroys it (the data key) once written or abandoned. Not thread-safe.
   */
  public static final class Restoring {
    private final SecretName name;
    private final List<Version> versions;
    private final Map<Integer, Plaintext> values;
    private final SecretKey dataKey;

    private Restoring(
        SecretName name, List<Version> versions, Map<Integer, Plaintext> values, SecretKey key) {
      this.name = name;
      this.versions = versions;
      this.values = values;
      this.dataKey = key;
    }

    public SecretName name() {
      return name;
    }

    /** Destroys the data key; the values stay the caller's. */
    public void destroy() {
      try {
        dataKey.destroy();
      } catch (javax.security.auth.DestroyFailedException e) {
        // Not a key this service made: nothing else to zero.
      }
    }
  }

  /**
   * Checks what {@link #restore(UnitOfWork, SecretName, List, Map)} would be given and does its
   * work that needs no row: a new data key and each value's fingerprint under it.
   *
   * @throws KeyturnException.InvalidInput if a value is empty, too large or not UTF-8, or the
   *     versions do not form a valid set
   */
  public Restoring prepareRestore(
      SecretName name, List<Version> versions, Map<Integer, Plaintext> values) {
    requireNonNull(name, "name");
    requireNonNull(versions, "versions");
    requireNonNull(values, "values");
    if (versions.isEmpty()) {
      throw new KeyturnException.InvalidInput(name + ": a restored secret needs a version");
    }
    for (Version v : versions) {
      Plaintext value = values.get(v.number());
      if (value == null || value.isEmpty() || value.length() > MAX_VALUE_BYTES) {
        throw new KeyturnException.InvalidInput(
            name + "#" + v.number() + ": the value is missing, empty or too large");
      }
      value.revealUtf8();
    }
    SecretKey dataKey = envelope.newDataKey();
    List<Version> fingerprinted = new ArrayList<>(versions.size());
    for (Version v : versions) {
      byte[] bytes = values.get(v.number()).reveal();
      try {
        fingerprinted.add(v.withFingerprint(envelope.fingerprint(dataKey, bytes)));
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }
    try {
      new VersionSet(name, fingerprinted);
    } catch (IllegalArgumentException e) {
      throw new KeyturnException.InvalidInput(e.getMessage());
    }
    return new Restoring(name, fingerprinted, values, dataKey);
  }

  /**
   * Writes a secret made ready by {@link #prepareRestore}, as {@link #restore(UnitOfWork,
   * SecretName, List, Map)} does.
   *
   * @throws KeyturnException.Conflict if the secret already has versions
   */
  public WriteResult restore(UnitOfWork work, Restoring prepared) {
    requireNonNull(prepared, "prepared");
    SecretName name = prepared.name;
    return update(
        work,
        name,
        secret -> {
          if (!secret.versions().versions().isEmpty()) {
            throw new KeyturnException.Conflict(
                name + " already exists; a restore never rewrites its history");
          }
          if (secret.wrappedDataKey().isPresent()) {
            // A row left with a data key and no version: its key is kept, so the fingerprints
            // are made again under it (rare; the usual row is new).
            return restoreUnder(secret, secret.wrappedDataKey().get(), prepared);
          }
          byte[] wrapped =
              envelope.wrapDataKey(
                  prepared.dataKey, secret.id(), secret.name().value(), StoredSecret.DATA_KEY);
          return new SecretChange(
              new VersionSet(name, prepared.versions),
              sealAll(secret, prepared.dataKey, prepared),
              Optional.of(wrapped),
              false);
        });
  }

  /** The change restoring {@code prepared} under the data key {@code secret} already has. */
  private SecretChange restoreUnder(StoredSecret secret, byte[] wrapped, Restoring prepared) {
    // A restore writes many secrets once each: their keys are not kept in the cache.
    SecretKey dataKey = dataKey(secret, wrapped, false);
    List<Version> stored = new ArrayList<>(prepared.versions.size());
    for (Version v : prepared.versions) {
      byte[] bytes = prepared.values.get(v.number()).reveal();
      try {
        stored.add(v.withFingerprint(envelope.fingerprint(dataKey, bytes)));
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }
    return new SecretChange(
        new VersionSet(secret.name(), stored),
        sealAll(secret, dataKey, prepared),
        Optional.empty(),
        false);
  }

  /** Each of {@code prepared}'s values sealed under {@code dataKey}, bound to {@code secret}. */
  private Map<Integer, byte[]> sealAll(StoredSecret secret, SecretKey dataKey, Restoring prepared) {
    Map<Integer, byte[]> ciphertexts = new java.util.HashMap<>();
    for (Version v : prepared.versions) {
      byte[] bytes = prepared.values.get(v.number()).reveal();
      try {
        ciphertexts.put(
            v.number(),
            envelope.sealValue(
                dataKey,
                StoredSecret.DATA_KEY,
                bytes,
                Aad.forValue(secret.id(), secret.name().value(), v.number())));
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }
    return ciphertexts;
  }

  /**
   * The values valid now, newest first: pending, current, previous inside their grace window or
   * held past it by a live consumer ({@link #holds}).
   */
  public List<SecretValue> keyring(SecretName name) {
    StoredSecret secret = find(name);
    Instant now = clock.instant();
    List<Version> valid = secret.versions().keyring(now, holds(secret, now).held());
    if (valid.isEmpty()) {
      throw new KeyturnException.NotFound(name + " has no valid version");
    }
    List<SecretValue> out = new ArrayList<>(valid.size());
    for (Version version : valid) {
      out.add(decrypt(secret, version));
    }
    return out;
  }

  /**
   * The secret's metadata with stages as they stand now (expired grace windows shown retired, but
   * for versions a live consumer holds).
   */
  public StoredSecret describe(SecretName name) {
    StoredSecret secret = find(name);
    Instant now = clock.instant();
    return new StoredSecret(
        secret.id(),
        secret.name(),
        secret.wrappedDataKey(),
        secret.versions().expire(now, holds(secret, now).held()),
        secret.createdAt(),
        secret.updatedAt(),
        secret.destroyed());
  }

  /** Secrets under {@code prefix}, in name order, {@code limit} at a time. */
  public List<StoredSecret> list(String prefix, Optional<String> after, int limit) {
    requireNonNull(prefix, "prefix");
    if (limit < 1 || limit > 1000) {
      throw new KeyturnException.InvalidInput("limit must be between 1 and 1000");
    }
    return store.secrets().list(prefix, after, limit);
  }

  /**
   * The names of secrets under {@code prefix}, in name order, {@code limit} at a time (at most
   * 10,000): read from the name index, without the metadata {@link #list} checks; see {@link
   * dev.keyturn.core.spi.SecretStore#names}.
   */
  public List<SecretName> names(String prefix, Optional<String> after, int limit) {
    requireNonNull(prefix, "prefix");
    if (limit < 1 || limit > 10_000) {
      throw new KeyturnException.InvalidInput("limit must be between 1 and 10000");
    }
    return store.secrets().names(prefix, after, limit);
  }

  /** Moves a version to another stage; see {@link VersionSet#move}. */
  public WriteResult move(
      UnitOfWork work, SecretName name, int number, Stage stage, Duration grace, String actor) {
    return move(work, name, number, stage, grace, actor, true);
  }

  /**
   * Moves a version to another stage; see {@link VersionSet#move}. Unless {@code mayRollBack}, a
   * move of a previous version back to current is refused, judged in the same update as the move.
   *
   * @throws KeyturnException.Forbidden for a roll-back that {@code mayRollBack} does not allow
   */
  public WriteResult move(
      UnitOfWork work,
      SecretName name,
      int number,
      Stage stage,
      Duration grace,
      String actor,
      boolean mayRollBack) {
    requireNonNull(actor, "actor");
    Instant now = clock.instant();
    return update(
        work,
        name,
        secret -> {
          requireExisting(secret);
          Set<Integer> held = holds(work, secret, now).held();
          VersionSet versions = secret.versions().expire(now, held);
          if (!mayRollBack
              && stage == Stage.CURRENT
              && versions.version(number).map(v -> v.stage() == Stage.PREVIOUS).orElse(false)) {
            throw new KeyturnException.Forbidden(
                name + "#" + number + ": previous -> current needs the admin capability");
          }
          return SecretChange.stages(secret.versions().move(number, stage, grace, now, held));
        });
  }

  /**
   * Retires every version. With {@code destroy}, also erases every ciphertext and the data key, so
   * no version can ever be read again; version metadata stays for audit.
   */
  public WriteResult delete(UnitOfWork work, SecretName name, boolean destroy, String actor) {
    requireNonNull(actor, "actor");
    WriteResult result =
        update(
            work,
            name,
            secret -> {
              requireExisting(secret);
              if (secret.versions().allRetired() && !destroy) {
                throw new KeyturnException.NotFound(name + " is already deleted");
              }
              return new SecretChange(
                  secret.versions().retireAll(), Map.of(), Optional.empty(), destroy);
            });
    dataKeys.remove(result.after().id());
    return result;
  }

  /**
   * Retires the secret's previous versions whose grace window has ended. Reads already treat them
   * as retired; this makes it durable (and visible in the audit log).
   */
  public WriteResult retireExpired(UnitOfWork work, SecretName name) {
    return retireExpired(work, name, new Holds[1]);
  }

  /**
   * As {@link #retireExpired(UnitOfWork, SecretName)}, but for the versions live consumers hold
   * ({@link #holds}); {@code seen[0]} is set to the holds it judged by, whose {@code overdue}
   * versions it retired although consumers still use them.
   */
  public WriteResult retireExpired(UnitOfWork work, SecretName name, Holds[] seen) {
    Instant now = clock.instant();
    return update(
        work,
        name,
        secret -> {
          Holds holds = holds(work, secret, now);
          seen[0] = holds;
          return SecretChange.stages(secret.versions().expire(now, holds.held()));
        });
  }

  /**
   * Which previous versions of {@code name}, past their grace window, live consumers still use
   * ({@link Holds}); {@link Holds#NONE} when no grace window has ended.
   */
  public Holds holds(SecretName name) {
    return holds(find(name), clock.instant());
  }

  /**
   * True if some previous version of {@code name} would retire now: its grace window has ended and
   * no live consumer holds it (or its consumer deadline has passed).
   */
  public boolean hasRetirable(SecretName name) {
    StoredSecret secret = find(name);
    Instant now = clock.instant();
    VersionSet versions = secret.versions();
    return versions.anyExpired(now) && versions.expire(now, holds(secret, now).held()) != versions;
  }

  /** The live consumers that name {@code name}, in id order. */
  public List<Consumer> consumers(SecretName name) {
    requireNonNull(name, "name");
    Instant now = clock.instant();
    return store.consumers().naming(name).stream().filter(c -> c.liveAt(now)).toList();
  }

  /**
   * The live consumers that report a version they could not apply ({@link
   * Consumer.Holding#failed}), of any secret, in id order.
   */
  public List<Consumer> failingConsumers() {
    return store.consumers().failing(clock.instant());
  }

  private Holds holds(StoredSecret secret, Instant now) {
    if (!secret.versions().anyExpired(now)) {
      return Holds.NONE;
    }
    return Holds.of(
        secret.versions(),
        store.consumers().naming(secret.name()),
        store.rotations().rule(secret.name()).map(RotationStore.RuleEntry::rule),
        now);
  }

  private static Holds holds(UnitOfWork work, StoredSecret secret, Instant now) {
    if (!secret.versions().anyExpired(now)) {
      return Holds.NONE;
    }
    return Holds.of(
        secret.versions(),
        work.consumers().naming(secret.name()),
        work.rotations().rule(secret.name()).map(RotationStore.RuleEntry::rule),
        now);
  }

  private static WriteResult update(
      UnitOfWork work, SecretName name, Function<StoredSecret, SecretChange> change) {
    requireNonNull(work, "work");
    VersionSet[] before = new VersionSet[1];
    StoredSecret after =
        work.secrets()
            .update(
                name,
                secret -> {
                  before[0] = secret.versions();
                  return change.apply(secret);
                });
    return new WriteResult(after, after.versions().changesFrom(before[0]));
  }

  /**
   * Whether {@code name} exists (has versions, retired ones included): what {@link #describe} would
   * not throw {@link KeyturnException.NotFound} for, without the cost of the exception, for callers
   * that ask about many names (a restore's plan).
   */
  public boolean exists(SecretName name) {
    requireNonNull(name, "name");
    return store
        .secrets()
        .find(name)
        .filter(secret -> !secret.versions().versions().isEmpty())
        .isPresent();
  }

  private StoredSecret find(SecretName name) {
    requireNonNull(name, "name");
    return store
        .secrets()
        .find(name)
        .filter(secret -> !secret.versions().versions().isEmpty())
        .orElseThrow(() -> new KeyturnException.NotFound(name + " does not exist"));
  }

  private static void requireExisting(StoredSecret secret) {
    if (secret.versions().versions().isEmpty()) {
      throw new KeyturnException.NotFound(secret.name() + " does not exist");
    }
  }

  private SecretValue decrypt(StoredSecret secret, Version version) {
    return decrypt(secret, version, true);
  }

  private SecretValue decrypt(StoredSecret secret, Version version, boolean remember) {
    String label = secret.name() + "#" + version.number();
    byte[] wrapped =
        secret
            .wrappedDataKey()
            .orElseThrow(() -> new KeyturnException.NotFound(label + " was destroyed"));
    byte[] ciphertext =
        store
            .secrets()
            .ciphertext(secret.id(), version.number())
            .orElseThrow(() -> new KeyturnException.NotFound(label + " was destroyed"));
    return openWith(secret, version, unwrap(secret, version, wrapped, remember), ciphertext);
  }

  /** The secret's data key, for opening {@code version}; see {@link #dataKey}. */
  private SecretKey unwrap(StoredSecret secret, Version version, byte[] wrapped, boolean remember) {
    try {
      return dataKey(secret, wrapped, remember);
    } catch (KeyturnException.CryptoFailure e) {
      throw notAuthentic(secret, version, e);
    }
  }

  /** Opens {@code ciphertext} of one version of {@code secret} with its data key {@code key}. */
  private SecretValue openWith(
      StoredSecret secret, Version version, SecretKey key, byte[] ciphertext) {
    byte[] plaintext;
    try {
      plaintext =
          envelope.openValue(
              key, ciphertext, Aad.forValue(secret.id(), secret.name().value(), version.number()));
    } catch (KeyturnException.CryptoFailure e) {
      throw notAuthentic(secret, version, e);
    }
    return new SecretValue(secret.name(), version, Plaintext.wrap(plaintext));
  }

  private static KeyturnException.IntegrityFailure notAuthentic(
      StoredSecret secret, Version version, KeyturnException.CryptoFailure e) {
    // The root key was checked against the store's at start: a ciphertext or data key that does
    // not open here was changed, or moved from another row or secret.
    return new KeyturnException.IntegrityFailure(
        "secret " + secret.name() + "#" + version.number(),
        "its ciphertext or data key does not authenticate",
        e);
  }

  private SecretKey dataKey(StoredSecret secret, byte[] wrapped) {
    return dataKey(secret, wrapped, true);
  }

  /** The unwrapped data key, from the cache if it is there; kept there only if {@code remember}. */
  private SecretKey dataKey(StoredSecret secret, byte[] wrapped, boolean remember) {
    DataKey found = cachedOrUnwrapped(secret, wrapped);
    if (!found.unwrappedHere() || !remember) {
      return found.key();
    }
    if (dataKeys.size() >= DATA_KEY_CACHE_LIMIT) {
      dataKeys.clear();
    }
    dataKeys.put(
        secret.id(), new CachedDataKey(secret.name().value(), wrapped.clone(), found.key()));
    return found.key();
  }

  /** The cache's data key of {@code secret} if it holds this one, else the key unwrapped now. */
  private DataKey cachedOrUnwrapped(StoredSecret secret, byte[] wrapped) {
    CachedDataKey cached = dataKeys.get(secret.id());
    if (cached != null
        && cached.name.equals(secret.name().value())
        && MessageDigest.isEqual(cached.wrapped, wrapped)) {
      return new DataKey(cached.key, false);
    }
    return new DataKey(
        envelope.unwrapDataKey(wrapped, secret.id(), secret.name().value(), StoredSecret.DATA_KEY),
        true);
  }

  /** A data key, and whether it was unwrapped for this caller (so no one else holds it). */
  private record DataKey(SecretKey key, boolean unwrappedHere) {}

  /**
   * Forgets every unwrapped data key (for {@code seal}): the cache is emptied, so no live object of
   * this service holds one. Reads after this unwrap again, and throw once the envelope's root key
   * is destroyed.
   */
  public void dropKeys() {
    for (CachedDataKey cached : dataKeys.values()) {
      try {
        cached.key().destroy();
      } catch (javax.security.auth.DestroyFailedException e) {
        // A key of another kind: dropped with the cache all the same.
      }
    }
    dataKeys.clear();
  }

  private record CachedDataKey(String name, byte[] wrapped, SecretKey key) {}
}
