package dev.keyturn.store;

import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Tokens in the {@code tokens} table of a {@link JdbcSecretStore}. Thread-safe. */
final class JdbcTokenStore implements TokenStore {
  private static final String COLUMNS =
      "id, hash, name, grants, created_at, expires_at, revoked_at";
  private final JdbcSecretStore store;

  JdbcTokenStore(JdbcSecretStore store) {
    this.store = store;
  }

  @Override
  public void create(TokenRecord token) {
    store.inTransaction(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO tokens (id, hash, name, grants, created_at, expires_at, revoked_at)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, token.id());
        ps.setBytes(2, token.hash());
        ps.setString(3, token.name());
        ps.setString(4, String.join("\n", token.grants()));
        ps.setLong(5, token.createdAt().toEpochMilli());
        setMillis(ps, 6, token.expiresAt());
        setMillis(ps, 7, token.revokedAt());
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Optional<TokenRecord> findByHash(byte[] hash) {
    return store.withConnection(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens WHERE hash = ?")) {
        ps.setBytes(1, hash);
        return readAll(ps).stream().findFirst();
      }
    });
  }

  private static List<TokenRecord> readAll(PreparedStatement ps) throws SQLException {
    List<TokenRecord> out = new java.util.ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String grants = rs.getString(4);
        out.add(
            new TokenRecord(
                rs.getString(1),
                rs.getString(3),
                rs.getBytes(2),
                grants.isEmpty() ? List.of() : Arrays.asList(grants.split("\n")),
                Instant.ofEpochMilli(rs.getLong(5)),
                millis(rs, 6),
                millis(rs, 7)));
      }
    }
    return out;
  }

  @Override
  public List<TokenRecord> list() {
    return store.withConnection(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens ORDER BY created_at, id")) {
        return readAll(ps);
      }
    });
  }

  @Override
  public Optional<TokenRecord> revoke(String id, Instant at) {
    return store.inTransaction(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
        ps.setLong(1, at.toEpochMilli());
        ps.setString(2, id);
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens WHERE id = ?")) {
        ps.setString(1, id);
        return readAll(ps).stream().findFirst();
      }
    });
  }

  @Override
  public long count() {
    return store.withConnection(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM tokens");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private static void setMillis(PreparedStatement ps, int index, Optional<Instant> value)
      throws SQLException {
    if (value.isPresent()) {
      ps.setLong(index, value.get().toEpochMilli());
    } else {
      ps.setNull(index, Types.BIGINT);
    }
  }

  private static Optional<Instant> millis(ResultSet rs, int index) throws SQLException {
    long value = rs.getLong(index);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(value));
  }
}
