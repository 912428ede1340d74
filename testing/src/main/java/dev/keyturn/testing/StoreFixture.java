package dev.keyturn.testing;

import dev.keyturn.core.Generator;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.core.spi.TokenRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every store contract suite shares: a new, empty {@link Store} per test (closed after it),
 * and the values the suites write.
 */
public abstract class StoreFixture {
  protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  protected static final SecretName NAME = SecretName.of("app/production/API_KEY");

  protected Store store;

  /** A new, empty store. */
  protected abstract Store newStore();

  @BeforeEach
  void open() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  protected static Rotation rotation(String id, SecretName name, RotationState state, Instant at) {
    return Rotation.builder()
        .id(id)
        .secret(name)
        .state(state)
        .startedAt(at)
        .requestedBy("tok")
        .build();
  }

  /** A manual rule without a schedule or target. */
  protected static RotationRule rule(SecretName name) {
    return new RotationRule(
        name,
        Generator.parse("manual"),
        Optional.empty(),
        Duration.ZERO,
        Strategy.MANUAL,
        Duration.ZERO,
        "none",
        Map.of(),
        "",
        "",
        "",
        1,
        Duration.ZERO,
        List.of(),
        Optional.empty(),
        false,
        false);
  }

  protected static AuditEvent event(String action, String secret, int version) {
    return new AuditEvent(
        T0, "tok_test", "127.0.0.1", action, Optional.of(secret), Optional.of(version), "ok", "");
  }

  protected static TokenRecord token(String id, String hash) {
    return token(id, hash, null, TokenRecord.CreatorSource.RECORDED);
  }

  protected static TokenRecord token(
      String id, String hash, String creator, TokenRecord.CreatorSource source) {
    return new TokenRecord(
        id,
        id,
        bytes(hash),
        List.of("read:*"),
        T0,
        Optional.empty(),
        Optional.empty(),
        Optional.ofNullable(creator),
        source);
  }

  /** A token holding admin:*, with no creator; its hash is its id. */
  protected static TokenRecord admin(String id) {
    return new TokenRecord(
        id,
        id,
        bytes(id),
        List.of("admin:*"),
        T0,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        TokenRecord.CreatorSource.RECORDED);
  }

  /** Adds a current version holding fake ciphertext {@code "ct-" + value}. */
  protected static SecretChange addCurrent(StoredSecret s, String value, Duration grace) {
    int n = s.versions().nextNumber();
    Version v =
        new Version(
            n, Stage.CURRENT, ValueType.STRING, T0, "tester", Optional.empty(), "fp-" + value);
    return new SecretChange(
        s.versions().add(v, grace, T0),
        Map.of(n, bytes("ct-" + value)),
        s.wrappedDataKey().isPresent() ? Optional.empty() : Optional.of(bytes("dk")),
        false);
  }

  protected static List<String> names(List<StoredSecret> secrets) {
    return secrets.stream().map(s -> s.name().value()).toList();
  }

  protected static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
