package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Tokens;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.testing.TestServices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link StoreIntegrityTest} on the local PostgreSQL, in a schema of its own. */
class PostgresIntegrityTest extends StoreIntegrityTest {
  private String baseUrl;
  private String schema;
  private String url;

  @Override
  String newUrl() {
    baseUrl = TestServices.postgresUrl();
    schema = "kt_integrity_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute("CREATE SCHEMA " + schema);
    url = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    return url;
  }

  @Override
  String url() {
    return url;
  }

  /**
   * Another node revokes a token; its audit record is edited and the token's older row put back.
   * This node, reading the chain on, finds the break: from then on every check fails, instead of
   * going on with a ledger that lacks the revocation's generation.
   */
  @Test
  void brokenChainReadByAnotherNode_failsEveryCheckFromThenOn() throws Exception {
    String token = Tokens.newToken(random);
    String otherToken = Tokens.newToken(random);
    TokenRecord reader = token("reader", token, List.of("read:app/prod/*"));
    TokenRecord other = token("other", otherToken, List.of("read:app/dev/*"));
    store.inTransaction(work -> {
      work.tokens().create(reader);
      work.tokens().create(other);
      return null;
    });
    JdbcStore node = JdbcStore.open(url(), clock);
    AuditLog nodeAudit = node.openAuditLog(new AuditChain(rootKey));
    try {
      node.protect(new Envelope(rootKey, random));
      assertThat(node.tokens().findByHash(Tokens.hash(token))).isPresent();
      Map<String, Object> before = row("SELECT * FROM tokens WHERE id = ?", reader.id());

      store.inTransaction(work -> work.tokens().revoke(reader.id(), T0.plusSeconds(5)));
      long revokeSeq = ((Number) row("SELECT MAX(seq) AS head FROM audit").get("head")).longValue();
      editDetail(revokeSeq);
      restore("tokens", "id", before);
      clock.advance(Duration.ofSeconds(2));

      assertThatThrownBy(() -> node.tokens().findByHash(Tokens.hash(token)))
          .isInstanceOf(KeyturnException.IntegrityFailure.class)
          .hasMessageContaining("audit record " + revokeSeq + " ");
      clock.advance(Duration.ofSeconds(2));
      assertThatThrownBy(() -> node.tokens().findByHash(Tokens.hash(token)))
          .isInstanceOf(KeyturnException.IntegrityFailure.class);
      assertThatThrownBy(() -> node.tokens().findByHash(Tokens.hash(otherToken)))
          .isInstanceOf(KeyturnException.IntegrityFailure.class)
          .hasMessageContaining("audit record " + revokeSeq + " ");
    } finally {
      nodeAudit.close();
      node.close();
    }
  }

  @AfterEach
  void dropSchema() {
    close();
    execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  private void execute(String sql) {
    try (Connection c = DriverManager.getConnection(baseUrl);
        Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
