package dev.keyturn.store;

import dev.keyturn.core.spi.Store;
import dev.keyturn.testing.AuditLogContract;
import dev.keyturn.testing.ConsumerStoreContract;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.RotationStoreContract;
import dev.keyturn.testing.SecretStoreContract;
import dev.keyturn.testing.SettingStoreContract;
import dev.keyturn.testing.TestServices;
import dev.keyturn.testing.TokenStoreContract;
import dev.keyturn.testing.UnitOfWorkContract;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;

/** Every store contract suite on the local PostgreSQL, each test in a schema of its own. */
class PostgresStoreTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final List<String> schemas = new ArrayList<>();
  private String baseUrl;

  JdbcStore open() {
    baseUrl = TestServices.postgresUrl();
    String schema = "kt_test_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute(baseUrl, "CREATE SCHEMA " + schema);
    schemas.add(schema);
    String url = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    return JdbcStore.open(url, new FixedClock(T0));
  }

  /** As {@link #open}, with its rows integrity-protected, as a server opens it. */
  JdbcStore openProtected() {
    JdbcStore store = open();
    dev.keyturn.core.crypto.RootKey key =
        dev.keyturn.core.crypto.RootKey.generate(new java.security.SecureRandom());
    store.openAuditLog(new dev.keyturn.core.audit.AuditChain(key));
    store.protect(new dev.keyturn.core.crypto.Envelope(key, new java.security.SecureRandom()));
    return store;
  }

  @Nested
  class Consumers extends ConsumerStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class ProtectedConsumers extends ConsumerStoreContract {
    @Override
    protected Store newStore() {
      return openProtected();
    }
  }

  @Nested
  class ProtectedSecrets extends SecretStoreContract {
    @Override
    protected Store newStore() {
      return openProtected();
    }
  }

  @Nested
  class ProtectedTokens extends TokenStoreContract {
    @Override
    protected Store newStore() {
      return openProtected();
    }
  }

  @Nested
  class ProtectedRotations extends RotationStoreContract {
    @Override
    protected Store newStore() {
      return openProtected();
    }
  }

  @Nested
  class Secrets extends SecretStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Tokens extends TokenStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Rotations extends RotationStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Settings extends SettingStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Audit extends AuditLogContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Units extends UnitOfWorkContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @AfterEach
  void dropSchemas() {
    for (String schema : schemas) {
      execute(baseUrl, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
