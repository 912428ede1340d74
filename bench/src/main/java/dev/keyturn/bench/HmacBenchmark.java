package dev.keyturn.bench;

import dev.keyturn.keyring.HmacAlgorithm;
import dev.keyturn.keyring.HmacKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import dev.keyturn.keyring.VersionMatch;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * HMAC-SHA256 through the SDK's {@link HmacKeyring}, as {@code keyturn hmac sign} and {@code hmac
 * verify} compute it: sign under the current version; verify a signature of the previous version
 * against a keyring of three (pending, current, previous), which computes all three MACs.
 * Throughput in operations per second on one thread; bench/hmac.sh turns it into bytes per second
 * beside {@code openssl speed -hmac sha256}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HmacBenchmark {
  @Param({"1024", "1048576"})
  int size;

  private HmacKeyring ring;
  private byte[] body;
  private byte[] signature;

  @Setup
  public void setUp() {
    SecureRandom random = new SecureRandom();
    body = new byte[size];
    random.nextBytes(body);
    String previousKey = "previous-" + random.nextLong();
    ring =
        HmacKeyring.of(
            "bench/REVALIDATE_SECRET",
            List.of(
                KeyVersion.text(3, KeyStage.PENDING, "pending-" + random.nextLong()),
                KeyVersion.text(2, KeyStage.CURRENT, "current-" + random.nextLong()),
                KeyVersion.text(1, KeyStage.PREVIOUS, previousKey)));
    HmacKeyring previous =
        HmacKeyring.of(
            "bench/REVALIDATE_SECRET", List.of(KeyVersion.text(1, KeyStage.CURRENT, previousKey)));
    signature = previous.sign(HmacAlgorithm.SHA256, body);
  }

  /**
   * CPU time of the benchmark thread and calls per iteration: the machine is shared, so wall-clock
   * throughput understates what one core does, while {@code openssl speed} divides by CPU time.
   */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class CpuTime {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    public long cpuNanos;
    public long calls;
    private long start;

    @Setup(Level.Iteration)
    public void begin() {
      calls = 0;
      cpuNanos = 0;
      start = THREADS.getCurrentThreadCpuTime();
    }

    @TearDown(Level.Iteration)
    public void end() {
      cpuNanos = THREADS.getCurrentThreadCpuTime() - start;
    }
  }

  @Benchmark
  public byte[] sign(CpuTime cpu) {
    cpu.calls++;
    return ring.sign(HmacAlgorithm.SHA256, body);
  }

  @Benchmark
  public Optional<VersionMatch> verify(CpuTime cpu) {
    cpu.calls++;
    return ring.verify(HmacAlgorithm.SHA256, body, signature);
  }
}
