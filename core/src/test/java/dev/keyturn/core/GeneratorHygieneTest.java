package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random values never trip the placeholder check (issue 16): every generator, 100,000 times each
 * (key pairs fewer, see below), at the smallest, usual and largest sizes; and the usual sizes pass
 * the weak-value checks too.
 */
class GeneratorHygieneTest {
  private static final int RUNS = 100_000;
  private static final ThreadLocal<SecureRandom> RANDOM =
      ThreadLocal.withInitial(SecureRandom::new);

  @ParameterizedTest
  @CsvSource({
    "hex:1, false",
    "hex:32, true",
    "hex:4096, false",
    "base64:1, false",
    "base64:32, true",
    "base64:4096, false",
    "base64url:1, false",
    "base64url:32, true",
    "base64url:4096, false",
    "django, true",
    "fernet, true",
    "password:8, false",
    "password:32, true",
    "password:1024, false",
    "'password:32:exclude=!#$%&()*+,./:;<=>?@[]^{|}~', true",
    "uuid, true",
    "ed25519, true",
    "ec:p256, true",
    "ec:p384, true",
    "rsa:2048, true",
  })
  void generatedValues_areNeverPlaceholders(String spec, boolean alsoStrong) {
    Generator generator = Generator.parse(spec);
    // Key pairs take from a fraction of a millisecond (Ed25519) to seconds (RSA on a loaded
    // machine) each: 100,000 would take hours. Their PEM text (header lines, newlines, base64
    // with '+' and '/') never reads as words, so fewer runs show the same.
    int runs = generator.kind() == Generator.Kind.RSA ? 2 : generator.makesKeyPair() ? 2_000 : RUNS;
    // The largest sizes (kilobytes a value) run 5,000 times: long values hold more words.
    int large = !generator.makesKeyPair() && generator.size() >= 1024 ? RUNS / 20 : runs;
    // Drawn on every core (each thread its own SecureRandom): the module's tests run in one fork.
    List<String> tripped =
        IntStream.range(0, large)
            .parallel()
            .mapToObj(i -> trippedChecks(generator, spec, alsoStrong))
            .filter(found -> !found.isEmpty())
            .limit(5)
            .map(Object::toString)
            .toList();

    assertThat(tripped).as(spec).isEmpty();
  }

  /** The checks one fresh value of {@code generator} trips. */
  private static List<ValueChecks.Check> trippedChecks(
      Generator generator, String spec, boolean alsoStrong) {
    String value = new String(generator.generate(RANDOM.get()).reveal(), StandardCharsets.UTF_8);
    List<ValueChecks.Check> found = new ArrayList<>(ValueChecks.placeholder(value));
    if (alsoStrong) {
      found.addAll(ValueChecks.weak(spec.equals("django") ? "SECRET_KEY" : "API_TOKEN", value));
    }
    return found;
  }
}
