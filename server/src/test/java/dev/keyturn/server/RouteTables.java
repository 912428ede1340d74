package dev.keyturn.server;

import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
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
            new RotationsApi(engine, store.rotations(), service, clock)));
  }
}
