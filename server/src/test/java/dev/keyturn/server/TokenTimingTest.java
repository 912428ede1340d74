package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.client.KeyturnUnauthorizedException;
import dev.keyturn.client.internal.WireClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A guess that shares a long prefix with the real token must not be refused faster or slower than
 * random bytes: the server hashes the whole token and looks it up by hash. Compares median refusal
 * times over many tries. Tagged "timing": not part of ./mvnw verify; run it with
 * bench/token-timing.sh.
 */
@Tag("timing")
class TokenTimingTest {
  @TempDir Path dir;

  @Test
  void validPrefix_isRefusedAsFastAsRandomBytes() {
    ServerConfig base = RunningServer.config(dir.resolve("data"), Optional.empty());
    ServerConfig config =
        base.toBuilder().authThrottle(Integer.MAX_VALUE, Duration.ofSeconds(1)).build();
    try (RunningServer server = RunningServer.start(config, Clock.systemUTC())) {
      String real = server.rootToken();
      String prefix = real.substring(0, real.length() - 1) + (real.endsWith("A") ? "B" : "A");
      SecureRandom random = new SecureRandom();
      int tries = 4000;
      long[] prefixNanos = new long[tries];
      long[] randomNanos = new long[tries];
      for (int warm = 0; warm < 1000; warm++) {
        refuse(server, prefix);
        refuse(server, randomToken(random));
      }
      for (int i = 0; i < tries; i++) {
        String other = randomToken(random);
        if (i % 2 == 0) {
          prefixNanos[i] = refuse(server, prefix);
          randomNanos[i] = refuse(server, other);
        } else {
          randomNanos[i] = refuse(server, other);
          prefixNanos[i] = refuse(server, prefix);
        }
      }
      double p = median(prefixNanos) / 1000.0;
      double r = median(randomNanos) / 1000.0;

      System.out.printf(
          "token refusal median over %d tries: valid prefix %.1f us, random %.1f us, ratio %.3f%n",
          tries, p, r, p / r);
      assertThat(p / r).isBetween(0.85, 1.15);
    }
  }

  private static long refuse(RunningServer server, String token) {
    WireClient client = server.client(token);
    long start = System.nanoTime();
    try {
      client.whoami();
      throw new AssertionError("a wrong token was accepted");
    } catch (KeyturnUnauthorizedException expected) {
      return System.nanoTime() - start;
    }
  }

  private static String randomToken(SecureRandom random) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return "kt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static double median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
