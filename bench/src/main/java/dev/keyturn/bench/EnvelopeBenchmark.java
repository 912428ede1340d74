package dev.keyturn.bench;

import dev.keyturn.core.crypto.Aad;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKey;
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
 * Envelope encryption of one value, as a write does it (seal: fresh nonce, AES-256-GCM with
 * associated data) and as a read does it (open). Throughput in operations per second on one thread;
 * bench/crypto.sh turns it into bytes per second beside {@code openssl speed}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EnvelopeBenchmark {
  @Param({"1024", "16384"})
  int size;

  private Envelope envelope;
  private SecretKey dataKey;
  private byte[] value;
  private byte[] sealed;
  private byte[] aad;

  @Setup
  public void setUp() {
    SecureRandom random = new SecureRandom();
    envelope = new Envelope(RootKey.generate(random), random);
    dataKey = envelope.unwrapDataKey(envelope.newWrappedDataKey(1, "s", 1), 1, "s", 1);
    value = new byte[size];
    random.nextBytes(value);
    aad = Aad.forValue(1, "s", 1);
    sealed = envelope.sealValue(dataKey, 1, value, aad);
  }

  @Benchmark
  public byte[] seal() {
    return envelope.sealValue(dataKey, 1, value, aad);
  }

  @Benchmark
  public byte[] open() {
    return envelope.openValue(dataKey, sealed, aad);
  }
}
