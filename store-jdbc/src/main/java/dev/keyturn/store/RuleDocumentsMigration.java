package dev.keyturn.store;

import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.SecretName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * Schema version 6.1: rewrites every rule stored in the {@code key=value} form of earlier versions
 * as a JSON rule document ({@link RuleJson}), in the migration's transaction, so that rules have
 * one stored form. The old form's {@code cron} and {@code window}, which earlier code failed to
 * read back, are carried over.
 */
final class RuleDocumentsMigration implements JavaMigration {

  @Override
  public MigrationVersion getVersion() {
    return MigrationVersion.fromVersion("6.1");
  }

  @Override
  public String getDescription() {
    return "rule documents";
  }

  @Override
  public Integer getChecksum() {
    return 61;
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }

  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    Map<String, String> converted = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT secret, body FROM rules");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String body = rs.getString(2);
        if (!body.stripLeading().startsWith("{")) {
          SecretName secret = SecretName.of(rs.getString(1));
          try {
            converted.put(secret.value(), RuleJson.write(RuleCodec.decodeLegacy(secret, body)));
          } catch (RuntimeException e) {
            throw new IllegalStateException(
                "the rule of "
                    + secret
                    + " cannot be read in its old form; delete its row from the rules table and"
                    + " set the rule again",
                e);
          }
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE rules SET body = ? WHERE secret = ?")) {
      for (Map.Entry<String, String> e : converted.entrySet()) {
        ps.setString(1, e.getValue());
        ps.setString(2, e.getKey());
        ps.executeUpdate();
      }
    }
  }
}
