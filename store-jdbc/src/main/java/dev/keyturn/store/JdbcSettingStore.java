package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.SettingStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** Settings in the {@code settings} table. Thread-safe. */
final class JdbcSettingStore implements SettingStore {
  private final Jdbc jdbc;

  JdbcSettingStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public Optional<String> setting(String key) {
    requireNonNull(key, "key");
    return jdbc.read(c -> read(c, key));
  }

  @Override
  public String settingIfAbsent(String key, String value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    return jdbc.write(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")) {
        ps.setString(1, key);
        ps.setString(2, value);
        ps.executeUpdate();
      }
      return read(c, key).orElseThrow();
    });
  }

  private static Optional<String> read(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT value FROM settings WHERE key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }
}
