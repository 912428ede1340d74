package dev.keyturn.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Shamir shares against Debian's ssss 0.5, both ways: ssss-combine reads ours, we read its. */
class ShamirTest {
  private final SecureRandom random = new SecureRandom();

  /** Printable secrets (ssss-combine prints ASCII) of even and odd lengths, 8 to 128 bytes. */
  @ParameterizedTest
  @ValueSource(ints = {8, 9, 16, 23, 44, 64, 127, 128})
  void ssssCombine_rebuildsOurShares_fromEveryThreeOfFive(int length) throws Exception {
    String secret = printable(length, new Random(length));
    List<String> shares = Shamir.split(secret.getBytes(StandardCharsets.US_ASCII), 5, 3, random);
    assertThat(shares).hasSize(5).allMatch(s -> s.matches("[1-5]-[0-9a-f]{" + 2 * length + "}"));
    for (List<String> three : subsets(shares, 3)) {
      assertThat(ssssCombine(3, three)).isEqualTo(secret);
      assertThat(text(Shamir.combine(three))).isEqualTo(secret);
    }
    for (List<String> two : subsets(shares, 2)) {
      assertThat(ssssCombine(2, two)).isNotEqualTo(secret);
      assertThat(text(Shamir.combine(two))).isNotEqualTo(secret);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {8, 23, 44, 100})
  void ourCombine_rebuildsSsssSplitShares(int length) throws Exception {
    String secret = printable(length, new Random(31L * length));
    List<String> shares = ssssSplit(secret, 4, 7);
    assertThat(shares).hasSize(7);
    for (List<String> four : subsets(shares, 4)) {
      assertThat(text(Shamir.combine(four))).isEqualTo(secret);
    }
  }

  @Test
  void indexesArePaddedToTheWidthOfN_andTokensAreRead() throws Exception {
    String secret = printable(20, new Random(5));
    List<String> shares = Shamir.split(secret.getBytes(StandardCharsets.US_ASCII), 12, 2, random);
    assertThat(shares.get(0)).startsWith("01-");
    assertThat(shares.get(11)).startsWith("12-");
    assertThat(ssssCombine(2, List.of(shares.get(0), shares.get(11)))).isEqualTo(secret);
    assertThat(text(Shamir.combine(List.of("tok-" + shares.get(3), shares.get(9)))))
        .isEqualTo(secret);
  }

  @Test
  void rootKey_roundTripsThroughShares() {
    RootKey key = RootKey.generate(random);
    List<String> shares = key.split(5, 3, random);
    for (List<String> three : subsets(shares, 3)) {
      assertThat(RootKey.fromShares(three).sameAs(key)).isTrue();
    }
    // Two shares of a 3-of-5 split give some other 44 bytes, which are no key's base64.
    assertThatThrownBy(() -> RootKey.fromShares(shares.subList(0, 2)))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessage("the shares do not rebuild a root key");
  }

  @Test
  void malformedShares_areRefusedWithoutEchoingThem() {
    String canary = "7-deadbeefcafe0123456789abcdef";
    for (List<String> bad :
        List.of(
            List.of("1-0011223344556677"),
            List.of("0-0011223344556677", "2-0011223344556677"),
            List.of("1-0011223344556677", "1-0011223344556677"),
            List.of("1-0011223344556677", "2-00112233445566"),
            List.of("1-001122334455667", "2-001122334455667"),
            List.of("256-0011223344556677", "2-0011223344556677"),
            List.of("x", canary),
            List.of("1-00112233445566zz", canary))) {
      assertThatThrownBy(() -> Shamir.combine(bad))
          .isInstanceOf(KeyturnException.InvalidInput.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("deadbeef", "0011223344"));
    }
    assertThatThrownBy(() -> Shamir.split(new byte[7], 3, 2, random))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> Shamir.split(new byte[16], 2, 3, random))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> Shamir.split(new byte[16], 256, 3, random))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }

  @Test
  void diffusion_isUndoneByDecode_forEveryLength() {
    Random r = new Random(7);
    for (int length = 8; length <= 128; length++) {
      byte[] data = new byte[length];
      r.nextBytes(data);
      byte[] copy = data.clone();
      Diffusion.encode(copy);
      assertThat(copy).isNotEqualTo(data);
      Diffusion.decode(copy);
      assertThat(copy).isEqualTo(data);
    }
  }

  static <T> List<List<T>> subsets(List<T> items, int k) {
    List<List<T>> out = new ArrayList<>();
    collect(items, k, 0, new ArrayList<>(), out);
    return out;
  }

  private static <T> void collect(
      List<T> items, int k, int from, List<T> chosen, List<List<T>> out) {
    if (chosen.size() == k) {
      out.add(List.copyOf(chosen));
      return;
    }
    for (int i = from; i < items.size(); i++) {
      chosen.add(items.get(i));
      collect(items, k, i + 1, chosen, out);
      chosen.remove(chosen.size() - 1);
    }
  }

  private static String printable(int length, Random r) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) {
      b.append((char) (33 + r.nextInt(94)));
    }
    return b.toString();
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  private static String ssssCombine(int threshold, List<String> shares) throws Exception {
    String out = run(String.join("\n", shares) + "\n", "ssss-combine", "-Q", "-t", "" + threshold);
    return out.stripTrailing();
  }

  private static List<String> ssssSplit(String secret, int threshold, int n) throws Exception {
    String out = run(secret + "\n", "ssss-split", "-Q", "-t", "" + threshold, "-n", "" + n);
    return out.lines().filter(l -> !l.isBlank()).toList();
  }

  /** Runs an ssss tool; it prints the secret to stderr and shares to stdout, so both are read. */
  private static String run(String input, String... command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      if ("1".equals(System.getenv("KEYTURN_IT"))) {
        Assertions.fail("ssss is not installed; KEYTURN_IT=1 requires it", e);
      }
      Assumptions.abort("ssss is not installed; skipping (set KEYTURN_IT=1 to make this fail)");
      throw new AssertionError("unreachable");
    }
    p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out.lines().filter(l -> !l.startsWith("WARNING")).reduce("", (a, b) -> a + b + "\n");
  }
}
