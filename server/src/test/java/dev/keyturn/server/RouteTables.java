package dev.keyturn.server;

import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.testing.InMemoryStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** The server's route table, wired to in-memory fakes, for tests that read its declarations. */
final class RouteTables {
  private RouteTables() {}

  static List<Route> offline() {
    Clock clock = Clock.systemUTC();
    SecureRandom random = new SecureRandom();
    InMemoryStore store = new InMemoryStore(clock);
    RootKey root = RootKey.generate(random);
    AuditChain chain = new AuditChain(root);
    SecretService service = new SecretService(store, new Envelope(root, random), clock);
    var audit = store.openAuditLog(chain);
    RotationEngine engine =
        new RotationEngine(
            service,
            store.rotations(),
            Map.of(),
            Map.of(),
            audit,
            clock,
            random,
            "node-test",
            r -> {});
    return Routes.check(
        Routes.table(
            new SecretsApi(service, random, clock, new PageTokens(new byte[32], random, clock)),
            new TokensApi(store, new Authenticator(store.tokens(), clock), clock, random),
            new AuditApi(audit, new AuditVerifier(chain), clock),
            new RotationsApi(engine, store.rotations(), service, clock),
            new WatchApi(
                new WatchHub(
                    JdbcStore.open("jdbc:sqlite:" + scratch() + "/routes.db", clock).changeEvents(),
                    java.util.Optional.empty(),
                    new Authenticator(store.tokens(), clock),
                    clock,
                    1)),
            new JwksApi(service, store.rotations(), clock),
            new BackupsApi(
                new dev.keyturn.backup.BackupWriter(service, store.rotations()),
                new dev.keyturn.backup.Restorer(service, clock),
                new dev.keyturn.core.RuleService(engine, store.rotations(), service, clock, random),
                audit,
                () ->
                    new dev.keyturn.backup.BackupDocument.Header(
                        clock.instant(), "node-test", root.id(), java.util.Optional.empty(), ""),
                clock),
            new ConsumersApi(
                store,
                service,
                clock,
                new Notifier(
                    java.util.Optional.empty(), java.util.Optional.empty(), service, audit, clock)),
            new SealApi(() -> {
              throw new IllegalStateException("the offline route table does not seal");
            }),
            new RootKeyApi(
                new RootKeyRotator(
                    JdbcStore.open("jdbc:sqlite:" + scratch() + "/root-key.db", clock),
                    new Envelope(root, random),
                    chain,
                    scratch(),
                    RootKeyRotator.Source.FILE,
                    () -> {},
                    clock,
                    random,
                    "node-test",
                    0))));
  }

  /** A folder for the store behind the watch route's (never started) hub. */
  private static java.nio.file.Path scratch() {
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("routes");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
