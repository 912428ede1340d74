package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Consumer;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.integrity.RowMacs;
import dev.keyturn.core.spi.ConsumerStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Consumers in the {@code consumers} table (V17), with one {@code consumer_secrets} row per secret
 * each names. Once the store is protected every row carries a MAC ({@link RowMacs#consumer}); a row
 * whose MAC does not match is reported as an integrity failure and left out, so that it holds
 * nothing. Thread-safe.
 */
final class JdbcConsumerStore implements ConsumerStore {
  private static final String COLUMNS =
      "c.id, c.owner, c.name, c.kind, c.holdings, c.ttl_ms, c.registered_at, c.last_seen, c.mac";

  private final Jdbc jdbc;
  private final Integrity integrity;

  JdbcConsumerStore(Jdbc jdbc, Integrity integrity) {
    this.jdbc = jdbc;
    this.integrity = integrity;
  }

  @Override
  public Optional<Consumer> consumer(String id) {
    requireNonNull(id, "id");
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM consumers c WHERE c.id = ?")) {
        ps.setString(1, id);
        return rows(ps).stream().findFirst();
      }
    });
  }

  @Override
  public void save(Consumer consumer) {
    requireNonNull(consumer, "consumer");
    String holdings = consumer.encodeHoldings();
    long ttl = consumer.ttl().toMillis();
    long registered = consumer.registeredAt().toEpochMilli();
    long seen = consumer.lastSeen().toEpochMilli();
    byte[] mac =
        integrity.active()
            ? integrity
                .macs()
                .consumer(
                    consumer.id(),
                    consumer.owner(),
                    consumer.name(),
                    consumer.kind().wireName(),
                    holdings,
                    ttl,
                    registered,
                    seen)
            : null;
    jdbc.write(c -> {
      delete(c, consumer.id());
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO consumers (id, owner, name, kind, holdings, ttl_ms, registered_at,"
                  + " last_seen, expires_at, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, consumer.id());
        ps.setString(2, consumer.owner());
        ps.setString(3, consumer.name());
        ps.setString(4, consumer.kind().wireName());
        ps.setString(5, holdings);
        ps.setLong(6, ttl);
        ps.setLong(7, registered);
        ps.setLong(8, seen);
        ps.setLong(9, consumer.expiresAt().toEpochMilli());
        ps.setBytes(10, mac);
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO consumer_secrets (secret, consumer_id) VALUES (?, ?)")) {
        for (Consumer.Holding h : consumer.holdings()) {
          ps.setString(1, h.secret().value());
          ps.setString(2, consumer.id());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      return null;
    });
  }

  @Override
  public boolean remove(String id) {
    requireNonNull(id, "id");
    return jdbc.write(c -> delete(c, id) > 0);
  }

  @Override
  public List<Consumer> naming(SecretName secret) {
    requireNonNull(secret, "secret");
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + COLUMNS
                  + " FROM consumers c JOIN consumer_secrets s ON s.consumer_id = c.id"
                  + " WHERE s.secret = ? ORDER BY c.id")) {
        ps.setString(1, secret.value());
        // The join row only finds candidates: each row's own holdings, under its MAC, decide.
        return rows(ps).stream().filter(k -> k.holding(secret).isPresent()).toList();
      }
    });
  }

  @Override
  public List<Consumer> failing(Instant now) {
    requireNonNull(now, "now");
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + COLUMNS
                  + " FROM consumers c WHERE c.expires_at > ? AND c.holdings LIKE ?"
                  + " ORDER BY c.id")) {
        ps.setLong(1, now.toEpochMilli());
        ps.setString(2, "%" + Consumer.FAILED_MARK + "%");
        // The columns only find candidates: each row's holdings and times, under its MAC, decide.
        return rows(ps).stream()
            .filter(k -> k.liveAt(now))
            .filter(k -> k.holdings().stream().anyMatch(h -> h.failed() > 0))
            .toList();
      }
    });
  }

  @Override
  public int purge(Instant before) {
    requireNonNull(before, "before");
    return jdbc.write(c -> {
      try (PreparedStatement ids =
              c.prepareStatement(
                  "DELETE FROM consumer_secrets WHERE consumer_id IN"
                      + " (SELECT id FROM consumers WHERE expires_at < ?)");
          PreparedStatement rows =
              c.prepareStatement("DELETE FROM consumers WHERE expires_at < ?")) {
        ids.setLong(1, before.toEpochMilli());
        ids.executeUpdate();
        rows.setLong(1, before.toEpochMilli());
        return rows.executeUpdate();
      }
    });
  }

  @Override
  public int owned(String owner) {
    requireNonNull(owner, "owner");
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT COUNT(*) FROM consumers WHERE owner = ?")) {
        ps.setString(1, owner);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getInt(1);
        }
      }
    });
  }

  @Override
  public int purge(String owner, Instant before) {
    requireNonNull(owner, "owner");
    requireNonNull(before, "before");
    return jdbc.write(c -> {
      try (PreparedStatement ids =
              c.prepareStatement(
                  "DELETE FROM consumer_secrets WHERE consumer_id IN"
                      + " (SELECT id FROM consumers WHERE owner = ? AND expires_at < ?)");
          PreparedStatement rows =
              c.prepareStatement("DELETE FROM consumers WHERE owner = ? AND expires_at < ?")) {
        ids.setString(1, owner);
        ids.setLong(2, before.toEpochMilli());
        ids.executeUpdate();
        rows.setString(1, owner);
        rows.setLong(2, before.toEpochMilli());
        return rows.executeUpdate();
      }
    });
  }

  private static int delete(Connection c, String id) throws SQLException {
    try (PreparedStatement secrets =
            c.prepareStatement("DELETE FROM consumer_secrets WHERE consumer_id = ?");
        PreparedStatement row = c.prepareStatement("DELETE FROM consumers WHERE id = ?")) {
      secrets.setString(1, id);
      secrets.executeUpdate();
      row.setString(1, id);
      return row.executeUpdate();
    }
  }

  private List<Consumer> rows(PreparedStatement ps) throws SQLException {
    List<Consumer> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String id = rs.getString(1);
        String owner = rs.getString(2);
        String name = rs.getString(3);
        String kind = rs.getString(4);
        String holdings = rs.getString(5);
        long ttl = rs.getLong(6);
        long registered = rs.getLong(7);
        long seen = rs.getLong(8);
        byte[] mac = rs.getBytes(9);
        try {
          if (integrity.active()) {
            integrity.checkMac(
                "consumer " + id,
                integrity.macs().consumer(id, owner, name, kind, holdings, ttl, registered, seen),
                mac,
                Optional.empty());
          }
          out.add(
              new Consumer(
                  id,
                  owner,
                  name,
                  Consumer.Kind.fromWire(kind),
                  Consumer.decodeHoldings(holdings),
                  Duration.ofMillis(ttl),
                  Instant.ofEpochMilli(registered),
                  Instant.ofEpochMilli(seen)));
        } catch (KeyturnException.IntegrityFailure | KeyturnException.InvalidInput e) {
          // Logged and audited by the integrity check; a row that fails holds nothing.
        }
      }
    }
    return out;
  }
}
