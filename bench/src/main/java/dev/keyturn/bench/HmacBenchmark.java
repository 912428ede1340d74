package dev.keyturn.bench;

import dev.keyturn.keyring.HmacAlgorithm;
import dev.keyturn.keyring.HmacKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import dev.keyturn.keyring.VersionMatch;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
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

  @Benchmark
  public byte[] sign() {
    return ring.sign(HmacAlgorithm.SHA256, body);
  }

  @Benchmark
  public Optional<VersionMatch> verify() {
    return ring.verify(HmacAlgorithm.SHA256, body, signature);
  }
}
