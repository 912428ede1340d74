package dev.keyturn.bench;

import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.store.JdbcStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable audit appends per second on the embedded store (SQLite, WAL, synchronous=FULL), with 64
 * threads each appending one record and waiting until it is on disk, as 64 concurrent reads would.
 * Group commit is what makes this fast: waiting appends share one transaction and fsync.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
@Threads(64)
public class AuditAppendBenchmark {
  private Path dir;
  private JdbcStore store;
  private AuditLog log;
  private List<AuditEvent> event;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("keyturn-audit-bench");
    store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), Clock.systemUTC());
    log = store.openAuditLog(new AuditChain(RootKey.generate(new SecureRandom())));
    event =
        List.of(
            new AuditEvent(
                Instant.now(),
                "tok_0123456789abcdef",
                "127.0.0.1",
                "secret.read",
                Optional.of("bench/read/API_KEY"),
                Optional.of(1),
                "ok",
                ""));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    log.close();
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  public void durableAppend() {
    log.append(event);
  }
}
