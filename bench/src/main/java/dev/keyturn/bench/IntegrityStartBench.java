package dev.keyturn.bench;

import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.store.JdbcStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What integrity protection adds to a server's start: opening the SQLite store and protecting it,
 * which verifies the whole audit chain to build the generation ledger. For each size given, writes
 * that many audit records (one in four carrying a generation, as a change's last record does), then
 * times three starts and prints the best and the median. Run by bench/integrity-start.sh.
 */
public final class IntegrityStartBench {
  private IntegrityStartBench() {}

  public static void main(String[] args) throws Exception {
    SecureRandom random = new SecureRandom();
    for (String arg : args) {
      int records = Integer.parseInt(arg);
      Path dir = Files.createTempDirectory("keyturn-start-bench-");
      String url = "jdbc:sqlite:" + dir.resolve("keyturn.db");
      RootKey root = RootKey.generate(random);
      fill(url, root, random, records);
      List<Long> millis = new ArrayList<>();
      for (int run = 0; run < 3; run++) {
        long start = System.nanoTime();
        JdbcStore store = JdbcStore.open(url, Clock.systemUTC());
        AuditLog audit = store.openAuditLog(new AuditChain(root));
        store.protect(new Envelope(root, random));
        millis.add((System.nanoTime() - start) / 1_000_000);
        audit.close();
        store.close();
      }
      millis.sort(null);
      System.out.printf(
          "%,d audit records: store open + integrity start %d ms best, %d ms median (runs %s)%n",
          records, millis.get(0), millis.get(1), millis);
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void fill(String url, RootKey root, SecureRandom random, int records) {
    try (JdbcStore store = JdbcStore.open(url, Clock.systemUTC())) {
      AuditLog audit = store.openAuditLog(new AuditChain(root));
      store.protect(new Envelope(root, random));
      List<AuditEvent> batch = new ArrayList<>();
      Instant now = Instant.now();
      for (int i = 1; i <= records; i++) {
        AuditEvent e =
            new AuditEvent(
                now,
                "tok_0123456789abcdef",
                "127.0.0.1",
                "secret.read",
                Optional.of("app/prod/SECRET_" + (i % 1000)),
                Optional.of(1),
                "ok",
                "");
        if (i % 4 == 0) {
          e = e.withGenerations(Map.of("secret:app/prod/SECRET_" + (i % 1000), (long) i));
        }
        batch.add(e);
        if (batch.size() == 4000) {
          audit.append(batch);
          batch = new ArrayList<>();
        }
      }
      audit.append(batch);
      audit.close();
    }
  }
}
