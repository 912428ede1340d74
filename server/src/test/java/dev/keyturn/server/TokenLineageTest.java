package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.TokenInfo;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.store.JdbcStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token lineage through the real server (issue 10 items 2 and 10): revoking a token revokes the
 * tokens it made at once; orphans outlive their maker; no revocation may leave no valid {@code
 * admin:*} token; tokens stored before creators were recorded get theirs from the verified audit
 * chain.
 */
class TokenLineageTest {
  @TempDir Path dir;

  @Test
  void revoke_tokenThatMadeOthers_revokesTheWholeLineageAtOnce() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      server.client().put("app/x/K", new PutSecretRequest("v", null, null, null, null));
      TokenCreated parent = create(server, server.rootToken(), "admin:app/*");
      TokenCreated child = create(server, parent.token(), "admin:app/x/*");
      TokenCreated grandchild = create(server, child.token(), "read:app/x/*");
      TokenCreated sibling = create(server, server.rootToken(), "read:app/*");
      assertThat(read(server, grandchild.token())).isEqualTo(200);

      TokenInfo revoked = server.client().revokeToken(parent.id());

      assertThat(revoked.revokedWith()).containsExactly(child.id(), grandchild.id());
      assertThat(read(server, parent.token())).isEqualTo(401);
      assertThat(read(server, child.token())).isEqualTo(401);
      assertThat(read(server, grandchild.token())).isEqualTo(401);
      assertThat(read(server, sibling.token())).isEqualTo(200);
      assertThat(info(server, grandchild.id()).creator()).isEqualTo(child.id());
      assertThat(info(server, child.id()).creator()).isEqualTo(parent.id());
      assertThat(info(server, parent.id()).creator()).isEqualTo("root");
      assertThat(info(server, grandchild.id()).valid()).isFalse();
      assertThat(info(server, grandchild.id()).creatorInferred()).isFalse();
    }
  }

  @Test
  void revoke_rootWhenNothingElseHoldsAdminStar_is409AndRootStillWorks() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      create(server, server.rootToken(), "admin:*");

      RunningServer.Raw r = server.raw("DELETE", "/v1/tokens/root", server.rootToken(), null);

      assertThat(r.status()).as(r.body()).isEqualTo(409);
      assertThat(r.body()).contains("no valid admin:* token").contains("--orphan");
      assertThat(server.client().listTokens().tokens()).allSatisfy(t -> assertThat(t.valid()));
    }
  }

  @Test
  void orphan_outlivesTheRevocationOfItsMaker_andRootCanThenBeRetired() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      TokenCreated child = create(server, server.rootToken(), "read:app/*");

      TokenCreated orphan =
          server
              .client()
              .createOrphanToken(new TokenCreateRequest("operator", List.of("admin:*"), "1y"));
      TokenInfo revoked = server.client(orphan.token()).revokeToken("root");

      assertThat(revoked.revokedWith()).containsExactly(child.id());
      assertThat(info(server.client(orphan.token()), orphan.id()).creator()).isNull();
      assertThat(read(server, orphan.token())).isIn(200, 404);
      assertThat(read(server, server.rootToken())).isEqualTo(401);
      assertThat(
              server
                  .client(orphan.token())
                  .audit(
                      Optional.empty(),
                      Optional.empty(),
                      Optional.of("token.orphan"),
                      Optional.empty())
                  .records())
          .singleElement()
          .satisfies(a -> assertThat(a.detail()).startsWith("created " + orphan.id() + " orphan"));
    }
  }

  @Test
  void orphan_needsAdminStar_notAScopedAdmin() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      String scoped = create(server, server.rootToken(), "admin:app/*").token();
      int before = server.client().listTokens().tokens().size();
      byte[] body = "{\"grants\":[\"read:app/x\"]}".getBytes(StandardCharsets.UTF_8);

      RunningServer.Raw r = server.raw("POST", "/v1/tokens/orphan", scoped, body);

      assertThat(r.status()).as(r.body()).isEqualTo(403);
      assertThat(server.client().listTokens().tokens()).hasSize(before);
    }
  }

  @Test
  void create_byARevokedTokenStillInAnotherCache_isRefusedByTheStore() throws Exception {
    Path data = dir.resolve("data");
    try (RunningServer server = RunningServer.start(data)) {
      TokenCreated parent = create(server, server.rootToken(), "admin:app/*");
      assertThat(read(server, parent.token())).isNotEqualTo(401);
      // Another node revokes it (a second store on the same database), so this node's cache
      // still holds it.
      RootKey key = RootKey.fromBase64(Files.readString(data.resolve("root.key")));
      try (JdbcStore other =
          JdbcStore.open("jdbc:sqlite:" + data.resolve("keyturn.db"), Clock.systemUTC())) {
        AuditLog log = other.openAuditLog(new AuditChain(key));
        other.protect(new Envelope(key, new SecureRandom()));
        other.inTransaction(work -> work.tokens().revoke(parent.id(), Instant.now()));
        log.close();
      }
      int before = server.client().listTokens().tokens().size();

      RunningServer.Raw r =
          server.raw(
              "POST",
              "/v1/tokens",
              parent.token(),
              "{\"grants\":[\"read:app/x\"]}".getBytes(StandardCharsets.UTF_8));

      assertThat(r.status()).as(r.body()).isEqualTo(401);
      assertThat(server.client().listTokens().tokens()).hasSize(before);
    }
  }

  @Test
  void restart_tokensStoredBeforeCreators_takeThemFromTheVerifiedAuditChain() throws Exception {
    Path data = dir.resolve("data");
    TokenCreated parent;
    TokenCreated child;
    TokenCreated tampered;
    try (RunningServer server = RunningServer.start(data)) {
      parent = create(server, server.rootToken(), "admin:app/*");
      child = create(server, parent.token(), "read:app/*");
      tampered = create(server, parent.token(), "read:app/*");
    }
    String url = "jdbc:sqlite:" + data.resolve("keyturn.db");
    // As a store written before integrity protection, whose record naming the third token's
    // creator was lost: the chain verifies, but no record says who made that token.
    String lost = tampered.id();
    OldFormatStore.downgrade(data, e -> !e.detail().startsWith("created " + lost));
    try (Connection c = DriverManager.getConnection(url)) {
      // As a store written before creators were recorded: no creator, not yet looked up.
      c.createStatement()
          .execute(
              "UPDATE tokens SET creator = NULL, creator_source = 'unresolved' WHERE id <> 'root'");
    }

    try (RunningServer server = RunningServer.start(data)) {
      TokenInfo p = info(server, parent.id());
      TokenInfo c = info(server, child.id());
      TokenInfo t = info(server, tampered.id());

      assertThat(p.creator()).isEqualTo("root");
      assertThat(p.creatorInferred()).isFalse();
      assertThat(c.creator()).isEqualTo(parent.id());
      assertThat(c.creatorInferred()).isFalse();
      assertThat(t.creator()).as("no verified record: root's child").isEqualTo("root");
      assertThat(t.creatorInferred()).isTrue();
      server.client().revokeToken(parent.id());
      assertThat(read(server, child.token())).isEqualTo(401);
      assertThat(read(server, tampered.token())).as("not known to be parent's").isNotEqualTo(401);
    }
  }

  private static TokenCreated create(RunningServer server, String as, String grant) {
    return server.client(as).createToken(new TokenCreateRequest("t", List.of(grant), null));
  }

  private static int read(RunningServer server, String token) {
    return server.raw("GET", "/v1/secrets/app/x/K", token, null).status();
  }

  private static TokenInfo info(RunningServer server, String id) {
    return info(server.client(), id);
  }

  private static TokenInfo info(dev.keyturn.client.internal.WireClient client, String id) {
    return client.listTokens().tokens().stream()
        .filter(t -> t.id().equals(id))
        .findFirst()
        .orElseThrow();
  }
}
