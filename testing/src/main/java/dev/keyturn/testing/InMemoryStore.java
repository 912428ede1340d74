package dev.keyturn.testing;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.spi.AuditRecord;
import dev.keyturn.core.spi.AuditWriter;
import dev.keyturn.core.spi.ConsumerStore;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.core.spi.SettingStore;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.TokenStore;
import dev.keyturn.core.spi.UnitOfWork;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A {@link Store} in memory, for unit tests of the logic around a store. One lock guards every
 * role, so each call is atomic and serialized like a database transaction; {@link #inTransaction}
 * holds the lock for the whole unit and, if the unit throws, puts every role back as it was
 * (all-or-nothing, like a rollback). Passes the same contract suites as the JDBC stores.
 */
public final class InMemoryStore implements Store {
  private final Object lock = new Object();
  private final InMemorySecretStore secrets;
  private final InMemoryTokenStore tokens = new InMemoryTokenStore(lock);
  private final InMemoryRotationStore rotations = new InMemoryRotationStore(lock);
  private final Settings settings = new Settings();
  private final InMemoryConsumerStore consumers = new InMemoryConsumerStore(lock);
  private final List<AuditRecord> auditRecords = new ArrayList<>();
  private AuditChain chain;

  public InMemoryStore(Clock clock) {
    this.secrets = new InMemorySecretStore(lock, requireNonNull(clock, "clock"));
  }

  @Override
  public InMemorySecretStore secrets() {
    return secrets;
  }

  @Override
  public TokenStore tokens() {
    return tokens;
  }

  @Override
  public InMemoryRotationStore rotations() {
    return rotations;
  }

  @Override
  public SettingStore settings() {
    return settings;
  }

  @Override
  public InMemoryConsumerStore consumers() {
    return consumers;
  }

  @Override
  public InMemoryAuditLog openAuditLog(AuditChain chain) {
    synchronized (lock) {
      this.chain = requireNonNull(chain, "chain");
      return new InMemoryAuditLog(chain, auditRecords, lock);
    }
  }

  @Override
  public boolean isEmpty() {
    synchronized (lock) {
      return secrets.isEmpty() && tokens.count() == 0;
    }
  }

  @Override
  public <T> T inTransaction(Function<UnitOfWork, T> work) {
    requireNonNull(work, "work");
    synchronized (lock) {
      Object secretsBefore = secrets.snapshot();
      Object tokensBefore = tokens.snapshot();
      Object rotationsBefore = rotations.snapshot();
      Object consumersBefore = consumers.snapshot();
      int auditBefore = auditRecords.size();
      Unit unit = new Unit();
      try {
        return work.apply(unit);
      } catch (RuntimeException | Error e) {
        secrets.restore(secretsBefore);
        tokens.restore(tokensBefore);
        rotations.restore(rotationsBefore);
        consumers.restore(consumersBefore);
        auditRecords.subList(auditBefore, auditRecords.size()).clear();
        throw e;
      } finally {
        unit.open = false;
      }
    }
  }

  @Override
  public void close() {}

  /** Overwrites one stored ciphertext, as an attacker with write access to the disk could. */
  public void tamper(SecretName name, int version, byte[] ciphertext) {
    secrets.tamper(name, version, ciphertext);
  }

  private final class Unit implements UnitOfWork {
    boolean open = true;

    @Override
    public SecretStore secrets() {
      requireOpen();
      return secrets;
    }

    @Override
    public TokenStore tokens() {
      requireOpen();
      return tokens;
    }

    @Override
    public RotationStore rotations() {
      requireOpen();
      return rotations;
    }

    @Override
    public ConsumerStore consumers() {
      requireOpen();
      return consumers;
    }

    @Override
    public AuditWriter audit() {
      requireOpen();
      return events -> {
        requireOpen();
        if (chain == null) {
          throw new IllegalStateException("audit records appended before the audit log was opened");
        }
        InMemoryAuditLog.appendTo(auditRecords, chain, events);
      };
    }

    private void requireOpen() {
      if (!open) {
        throw new IllegalStateException("this unit of work has ended");
      }
    }
  }

  private final class Settings implements SettingStore {
    private final Map<String, String> values = new HashMap<>();

    @Override
    public Optional<String> setting(String key) {
      synchronized (lock) {
        return Optional.ofNullable(values.get(key));
      }
    }

    @Override
    public String settingIfAbsent(String key, String value) {
      synchronized (lock) {
        return values.computeIfAbsent(key, k -> value);
      }
    }
  }
}
