package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.spi.TokenRecord;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link TokenStore} must have (tokens). A backend's test extends this class
 * and returns a new, empty store from {@link #newStore()}; the in-memory fake, SQLite and
 * PostgreSQL all run it.
 */
public abstract class TokenStoreContract extends StoreFixture {
  @Test
  void tokens_createFindCountAndEmptiness() {
    assertThat(store.isEmpty()).isTrue();
    TokenRecord token =
        new TokenRecord(
            "tok_1",
            "ci",
            bytes("hash-1"),
            List.of("read:app/*", "list:*"),
            T0,
            Optional.of(T0.plus(Duration.ofDays(30))),
            Optional.empty(),
            Optional.empty(),
            TokenRecord.CreatorSource.RECORDED);
    TokenRecord child = token("tok_2", "hash-2", "tok_1", TokenRecord.CreatorSource.RECORDED);

    store.tokens().create(token);
    store.tokens().create(child);

    TokenRecord found = store.tokens().findByHash(bytes("hash-1")).orElseThrow();
    assertThat(found.id()).isEqualTo("tok_1");
    assertThat(found.name()).isEqualTo("ci");
    assertThat(found.grants()).containsExactly("read:app/*", "list:*");
    assertThat(found.expiresAt()).contains(T0.plus(Duration.ofDays(30)));
    assertThat(found.revokedAt()).isEmpty();
    assertThat(found.creator()).isEmpty();
    assertThat(found.creatorSource()).isEqualTo(TokenRecord.CreatorSource.RECORDED);
    TokenRecord foundChild = store.tokens().findByHash(bytes("hash-2")).orElseThrow();
    assertThat(foundChild.creator()).contains("tok_1");
    assertThat(store.tokens().findByHash(bytes("hash-3"))).isEmpty();
    assertThat(store.tokens().count()).isEqualTo(2);
    assertThat(store.isEmpty()).isFalse();
  }

  @Test
  void tokens_listAndRevoke() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a"));
    store.tokens().create(token("tok_b", "hash-b"));

    List<TokenRecord> revoked = store.tokens().revoke("tok_a", T0.plusSeconds(5));
    List<TokenRecord> again = store.tokens().revoke("tok_a", T0.plusSeconds(9));

    assertThat(store.tokens().list())
        .extracting(TokenRecord::id)
        .containsExactly("tok_a", "tok_b", "tok_root");
    assertThat(revoked)
        .singleElement()
        .satisfies(t -> {
          assertThat(t.id()).isEqualTo("tok_a");
          assertThat(t.revokedAt()).contains(T0.plusSeconds(5));
        });
    assertThat(again.get(0).revokedAt()).as("first revocation kept").contains(T0.plusSeconds(5));
    assertThat(store.tokens().findByHash(bytes("hash-a")).orElseThrow().validAt(T0.plusSeconds(6)))
        .isFalse();
    assertThat(store.tokens().findByHash(bytes("hash-b")).orElseThrow().validAt(T0.plusSeconds(6)))
        .isTrue();
    assertThat(store.tokens().revoke("tok_none", T0)).isEmpty();
  }

  @Test
  void tokens_revoke_takesEveryDescendantAndLeavesOthers() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a", "tok_root", TokenRecord.CreatorSource.RECORDED));
    store.tokens().create(token("tok_b", "hash-b", "tok_a", TokenRecord.CreatorSource.RECORDED));
    store.tokens().create(token("tok_c", "hash-c", "tok_b", TokenRecord.CreatorSource.AUDIT));
    store.tokens().create(token("tok_d", "hash-d", "tok_root", TokenRecord.CreatorSource.RECORDED));

    List<TokenRecord> revoked = store.tokens().revoke("tok_a", T0.plusSeconds(5));

    assertThat(revoked).extracting(TokenRecord::id).containsExactly("tok_a", "tok_b", "tok_c");
    for (String hash : List.of("hash-a", "hash-b", "hash-c")) {
      assertThat(store.tokens().findByHash(bytes(hash)).orElseThrow().revokedAt())
          .as(hash)
          .contains(T0.plusSeconds(5));
    }
    assertThat(store.tokens().findByHash(bytes("hash-d")).orElseThrow().revokedAt()).isEmpty();
    assertThat(store.tokens().findByHash(bytes("tok_root")).orElseThrow().revokedAt()).isEmpty();
  }

  @Test
  void tokens_revoke_leavingNoAdminStar_isRefusedAndChangesNothing() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a", "tok_root", TokenRecord.CreatorSource.RECORDED));

    assertThatThrownBy(() -> store.tokens().revoke("tok_root", T0.plusSeconds(5)))
        .isInstanceOf(KeyturnException.Conflict.class)
        .hasMessageContaining("no valid admin:* token");

    assertThat(store.tokens().list()).allSatisfy(t -> assertThat(t.revokedAt()).isEmpty());
  }

  @Test
  void tokens_revoke_withAnOrphanAdmin_takesRootAndTheUnresolvedTokens() {
    store.tokens().create(admin(TokenRecord.ROOT_ID));
    store.tokens().create(admin("tok_orphan"));
    store.tokens().create(token("tok_old", "hash-old", null, TokenRecord.CreatorSource.UNRESOLVED));

    List<TokenRecord> revoked = store.tokens().revoke(TokenRecord.ROOT_ID, T0.plusSeconds(5));

    assertThat(revoked).extracting(TokenRecord::id).containsExactly(TokenRecord.ROOT_ID, "tok_old");
    assertThat(store.tokens().findByHash(bytes("tok_orphan")).orElseThrow().revokedAt()).isEmpty();
  }

  @Test
  void tokens_create_underARevokedOrUnknownCreator_isRefused() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a", "tok_root", TokenRecord.CreatorSource.RECORDED));
    store.tokens().revoke("tok_a", T0.plusSeconds(1));

    assertThatThrownBy(() ->
            store
                .tokens()
                .create(token("tok_b", "hash-b", "tok_a", TokenRecord.CreatorSource.RECORDED)))
        .isInstanceOf(KeyturnException.Unauthenticated.class);
    assertThatThrownBy(() ->
            store
                .tokens()
                .create(token("tok_c", "hash-c", "tok_none", TokenRecord.CreatorSource.RECORDED)))
        .isInstanceOf(KeyturnException.Unauthenticated.class);
    assertThat(store.tokens().count()).isEqualTo(2);
  }

  @Test
  void tokens_resolveCreator_changesOnlyUnresolvedTokens() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a", null, TokenRecord.CreatorSource.UNRESOLVED));
    store.tokens().create(token("tok_b", "hash-b", "tok_root", TokenRecord.CreatorSource.RECORDED));

    store.tokens().resolveCreator("tok_a", Optional.of("tok_b"), TokenRecord.CreatorSource.AUDIT);
    store.tokens().resolveCreator("tok_a", Optional.of("tok_x"), TokenRecord.CreatorSource.AUDIT);
    store.tokens().resolveCreator("tok_b", Optional.of("tok_a"), TokenRecord.CreatorSource.AUDIT);

    TokenRecord a = store.tokens().findByHash(bytes("hash-a")).orElseThrow();
    TokenRecord b = store.tokens().findByHash(bytes("hash-b")).orElseThrow();
    assertThat(a.creator()).contains("tok_b");
    assertThat(a.creatorSource()).isEqualTo(TokenRecord.CreatorSource.AUDIT);
    assertThat(b.creator()).contains("tok_root");
    assertThat(b.creatorSource()).isEqualTo(TokenRecord.CreatorSource.RECORDED);
  }

  @Test
  void tokens_renew_extendsByTheOriginalLifetimeEachTime() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(expiring("tok_a", "tok_root", T0.plus(Duration.ofHours(3))));

    TokenRecord first = store.tokens().renew("tok_a", T0.plus(Duration.ofHours(2)));
    TokenRecord second = store.tokens().renew("tok_a", T0.plus(Duration.ofHours(4)));

    assertThat(first.expiresAt()).contains(T0.plus(Duration.ofHours(5)));
    assertThat(second.expiresAt()).contains(T0.plus(Duration.ofHours(7)));
    TokenRecord stored = store.tokens().findByHash(bytes("tok_a")).orElseThrow();
    assertThat(stored.expiresAt()).contains(T0.plus(Duration.ofHours(7)));
    assertThat(stored.originalLifetime()).contains(Duration.ofHours(3));
    assertThat(stored.createdAt()).isEqualTo(T0);
    assertThat(stored.validAt(T0.plus(Duration.ofHours(6)))).isTrue();
  }

  @Test
  void tokens_renew_neverPassesTheCreatorsExpiry() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(expiring("tok_p", "tok_root", T0.plus(Duration.ofHours(5))));
    store.tokens().create(expiring("tok_c", "tok_p", T0.plus(Duration.ofHours(4))));

    TokenRecord capped = store.tokens().renew("tok_c", T0.plus(Duration.ofMinutes(210)));

    assertThat(capped.expiresAt()).contains(T0.plus(Duration.ofHours(5)));
    assertThat(store.tokens().findByHash(bytes("tok_c")).orElseThrow().expiresAt())
        .contains(T0.plus(Duration.ofHours(5)));
  }

  @Test
  void tokens_renew_revokedExpiredUnknownOrNeverExpiring_isRefusedAndChangesNothing() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(admin("tok_other"));
    store.tokens().create(expiring("tok_r", "tok_root", T0.plus(Duration.ofHours(3))));
    store.tokens().create(expiring("tok_e", "tok_root", T0.plus(Duration.ofHours(1))));
    store.tokens().revoke("tok_r", T0.plusSeconds(10));

    assertThatThrownBy(() -> store.tokens().renew("tok_r", T0.plusSeconds(20)))
        .isInstanceOf(KeyturnException.Unauthenticated.class);
    assertThatThrownBy(() -> store.tokens().renew("tok_e", T0.plus(Duration.ofHours(2))))
        .isInstanceOf(KeyturnException.Unauthenticated.class);
    assertThatThrownBy(() -> store.tokens().renew("tok_root", T0))
        .isInstanceOf(KeyturnException.Conflict.class)
        .hasMessageContaining("does not expire");
    assertThatThrownBy(() -> store.tokens().renew("tok_none", T0))
        .isInstanceOf(KeyturnException.NotFound.class);

    assertThat(store.tokens().findByHash(bytes("tok_r")).orElseThrow().expiresAt())
        .contains(T0.plus(Duration.ofHours(3)));
    assertThat(store.tokens().findByHash(bytes("tok_e")).orElseThrow().expiresAt())
        .contains(T0.plus(Duration.ofHours(1)));
    assertThat(store.tokens().findByHash(bytes("tok_root")).orElseThrow().expiresAt()).isEmpty();
  }

  /** A token made by {@code creator} at T0, valid until {@code expires}; its hash is its id. */
  private static TokenRecord expiring(String id, String creator, java.time.Instant expires) {
    return new TokenRecord(
        id,
        id,
        bytes(id),
        List.of("read:*"),
        T0,
        Optional.of(expires),
        Optional.empty(),
        Optional.of(creator),
        TokenRecord.CreatorSource.RECORDED);
  }
}
