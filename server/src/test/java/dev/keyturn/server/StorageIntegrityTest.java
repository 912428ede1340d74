package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Someone with write access to the SQLite file while the server is down edits rows that decide
 * access (issue 10 item 4): after the next start, the read that relies on the row answers 500
 * {@code integrity}, the failure is audited as {@code integrity.fail}, and no value is served.
 */
class StorageIntegrityTest {
  private static final String PROD = "app/prod/DB_PASSWORD";
  private static final String DEV = "app/dev/DB_PASSWORD";
  @TempDir Path dir;

  @Test
  void namesSwappedInTheFile_devTokenGets500IntegrityAndNeverTheProdValue() throws Exception {
    Path data = dir.resolve("data");
    String devToken;
    try (RunningServer server = RunningServer.start(data)) {
      server.client().put(PROD, new PutSecretRequest("prod-canary-5e1d", null, null, null, null));
      server.client().put(DEV, new PutSecretRequest("dev-canary-0b2c", null, null, null, null));
      devToken = server.token("read:app/dev/*");
    }
    sql(data, "UPDATE secrets SET name = 'swap/tmp' WHERE name = '" + PROD + "'");
    sql(data, "UPDATE secrets SET name = '" + PROD + "' WHERE name = '" + DEV + "'");
    sql(data, "UPDATE secrets SET name = '" + DEV + "' WHERE name = 'swap/tmp'");

    try (RunningServer server = RunningServer.start(data)) {
      RunningServer.Raw r = server.raw("GET", "/v1/secrets/" + DEV, devToken, null);

      assertThat(r.status()).as(r.body()).isEqualTo(500);
      assertThat(r.body()).contains("\"integrity\"").contains(DEV).doesNotContain("canary");
      RunningServer.Raw audit =
          server.raw("GET", "/v1/audit?action=integrity.fail", server.rootToken(), null);
      assertThat(audit.body()).contains("integrity.fail").contains(DEV).doesNotContain("canary");
    }
  }

  @Test
  void readTokenEditedIntoAdminStar_isRefusedAndAudited() throws Exception {
    Path data = dir.resolve("data");
    String reader;
    try (RunningServer server = RunningServer.start(data)) {
      server.client().put(PROD, new PutSecretRequest("prod-canary-5e1d", null, null, null, null));
      reader = server.token("read:app/dev/*");
    }
    sql(data, "UPDATE tokens SET grants = 'admin:*', expires_at = NULL WHERE id <> 'root'");

    try (RunningServer server = RunningServer.start(data)) {
      RunningServer.Raw r = server.raw("GET", "/v1/secrets/" + PROD, reader, null);

      assertThat(r.status()).as(r.body()).isEqualTo(500);
      assertThat(r.body()).contains("\"integrity\"").doesNotContain("canary");
      assertThat(
              server.raw("GET", "/v1/audit?action=integrity.fail", server.rootToken(), null).body())
          .contains("integrity.fail")
          .contains("token tok_");
    }
  }

  @Test
  void restart_everythingTheServerWroteStillVerifies() throws Exception {
    Path data = dir.resolve("data");
    String reader;
    try (RunningServer server = RunningServer.start(data)) {
      server.client().put(PROD, new PutSecretRequest("one", null, null, null, null));
      server.client().put(PROD, new PutSecretRequest("two", null, null, "1h", null));
      reader = server.token("read:app/*");
      server.client().revokeToken(tokenId(data, "read:app/*"));
      reader = server.token("read:app/*");
    }

    try (RunningServer server = RunningServer.start(data)) {
      assertThat(server.client(reader).get(PROD).value().stringValue()).isEqualTo("two");
      assertThat(server.raw("GET", "/v1/tokens", server.rootToken(), null).status()).isEqualTo(200);
      assertThat(
              server.raw("GET", "/v1/audit?action=integrity.fail", server.rootToken(), null).body())
          .doesNotContain("integrity.fail");
    }
  }

  private static String tokenId(Path data, String grants) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("keyturn.db"));
        PreparedStatement ps = c.prepareStatement("SELECT id FROM tokens WHERE grants = ?")) {
      ps.setString(1, grants);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static void sql(Path data, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("keyturn.db"))) {
      c.createStatement().executeUpdate(statement);
    }
  }
}
