package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Tokens;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What row MACs and generations cannot catch, and what does: the whole database file put back to an
 * older copy (rows and audit chain together) is consistent in itself, so a revoked token is valid
 * again; only an audit checkpoint kept outside Keyturn shows it (docs/security.md, "Storage").
 */
class WholeFileRollbackTest {
  private static final Instant T0 = Instant.parse("2026-11-28T00:00:00Z");
  private final SecureRandom random = new SecureRandom();
  private final RootKey rootKey = RootKey.generate(random);
  @TempDir Path dir;

  @Test
  void wholeFileRolledBack_passesRowChecksButFailsAgainstTheCheckpoint() throws Exception {
    Path db = dir.resolve("keyturn.db");
    Path copy = dir.resolve("copy.db");
    String token = Tokens.newToken(random);
    TokenRecord reader =
        new TokenRecord(
            Tokens.newId(random),
            "reader",
            Tokens.hash(token),
            List.of("read:app/dev/*"),
            T0,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            TokenRecord.CreatorSource.RECORDED);
    Opened first = open(db);
    first.store.inTransaction(work -> {
      work.tokens().create(reader);
      return null;
    });
    first.close();
    Files.copy(db, copy, StandardCopyOption.REPLACE_EXISTING);
    Opened second = open(db);
    second.store.inTransaction(work -> work.tokens().revoke(reader.id(), T0.plusSeconds(1)));
    AuditVerifier.Checkpoint checkpoint =
        new AuditVerifier(second.chain).verify(second.audit, Optional.empty()).head().orElseThrow();
    second.close();

    Files.copy(copy, db, StandardCopyOption.REPLACE_EXISTING);
    Opened rolledBack = open(db);

    assertThat(rolledBack.store.tokens().findByHash(Tokens.hash(token)).orElseThrow().revokedAt())
        .isEmpty();
    AuditVerifier.Result result =
        new AuditVerifier(rolledBack.chain).verify(rolledBack.audit, Optional.of(checkpoint));
    assertThat(result.ok()).isFalse();
    assertThat(result.problem().orElseThrow().reason()).contains("checkpointed record is gone");
    rolledBack.close();
  }

  private Opened open(Path db) {
    JdbcStore store = JdbcStore.open("jdbc:sqlite:" + db, new FixedClock(T0));
    AuditChain chain = new AuditChain(rootKey);
    AuditLog audit = store.openAuditLog(chain);
    store.protect(new Envelope(rootKey, random));
    return new Opened(store, audit, chain);
  }

  private record Opened(JdbcStore store, AuditLog audit, AuditChain chain) {
    void close() {
      audit.close();
      store.close();
    }
  }
}
