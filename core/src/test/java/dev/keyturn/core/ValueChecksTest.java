package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.ValueChecks.Check;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValueChecksTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "CHANGE_THIS_TO_A_RANDOM_SECRET_KEY_IN_PRODUCTION",
        "test-secret-key-not-for-production-use-only-for-testing",
        "changeme",
        "ChangeMe",
        "CHANGE_ME",
        "change-me-please-now",
        "replaceme",
        "replace_me",
        "your-api-key-here",
        "your_secret_here",
        "put-your-token-here-now",
        "xxx",
        "sk_live_xxxxxxxxxxxxxxxx",
        "TODO",
        "dummy-token",
        "example",
        "MySecretValue",
        "password123",
        "DbPassword",
        "not-for-production",
        "app-not-for-production-key",
        "secret",
      })
  void placeholder_typicalPlaceholders_areFound(String value) {
    assertThat(ValueChecks.placeholder(value)).contains(Check.PLACEHOLDER);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "dt5@@x-m@-!fco)w!_$6l9$%9814@d91+^9u=td2mv_f8bpyjv",
        "poultry_db",
        "localhost",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "yourdomain.com",
        "secretary",
        "postgres",
        "x",
        "3f9a1c",
      })
  void placeholder_realValues_areNotPlaceholders(String value) {
    assertThat(ValueChecks.placeholder(value)).doesNotContain(Check.PLACEHOLDER);
  }

  @Test
  void placeholder_djangoInsecurePrefix_isFound() {
    assertThat(ValueChecks.placeholder("django-insecure-0k9#z!a2l$8x@f(3v^q7m)w1e+r5t6y"))
        .contains(Check.DJANGO_INSECURE);
  }

  @Test
  void placeholder_angleBrackets_isFound() {
    assertThat(ValueChecks.placeholder("<your-paystack-key>")).contains(Check.ANGLE_BRACKETS);
    assertThat(ValueChecks.placeholder("<db password>")).contains(Check.ANGLE_BRACKETS);
    assertThat(ValueChecks.placeholder("<TOKEN>")).contains(Check.ANGLE_BRACKETS);
    assertThat(ValueChecks.placeholder("a<b>")).doesNotContain(Check.ANGLE_BRACKETS);
    assertThat(ValueChecks.placeholder("<aB3$x9Q>")).doesNotContain(Check.ANGLE_BRACKETS);
  }

  @Test
  void placeholder_extraPattern_isFoundAnywhere() {
    Optional<Pattern> extra = Optional.of(Pattern.compile("fixme"));

    assertThat(ValueChecks.placeholder("a1fixmeZZ9", extra))
        .containsExactly(Check.PLACEHOLDER_PATTERN);
    assertThat(ValueChecks.placeholder("a1fixmeZZ9")).isEmpty();
  }

  @Test
  void estimatedBits_countsClassesPresent() {
    assertThat(ValueChecks.estimatedBits("")).isZero();
    assertThat(ValueChecks.estimatedBits("abcd")).isEqualTo(16.0); // pure hex: 4 bits a char
    assertThat(ValueChecks.estimatedBits("0123"))
        .isCloseTo(4 * Math.log(10) / Math.log(2), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(ValueChecks.estimatedBits("zz"))
        .isCloseTo(2 * Math.log(26) / Math.log(2), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(ValueChecks.estimatedBits("aZ9!"))
        .isCloseTo(4 * Math.log(95) / Math.log(2), org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void weak_thresholdsDependOnTheName() {
    String elevenWords = "Tr0ub4dor&3"; // 11 × log2(95) = 72 bits

    assertThat(ValueChecks.weak("API_TOKEN", elevenWords)).containsExactly(Check.WEAK_BITS);
    assertThat(ValueChecks.weak("DB_PASSWORD", elevenWords)).isEmpty();
    assertThat(ValueChecks.weak("SMTP_PWD", elevenWords)).isEmpty();
    assertThat(ValueChecks.weak("DB_PASSWORD", "aaaaaaaaaaaaaaaaaaaaaaaaaa"))
        .contains(Check.FEW_CHARACTERS);
  }

  @Test
  void weak_secretKeyUnderFiftyCharacters_isDjangoW009() {
    String hex48 = "0123456789abcdef0123456789abcdef0123456789abcdef"; // 192 bits, 48 chars

    assertThat(ValueChecks.weak("SECRET_KEY", hex48)).containsExactly(Check.SHORT_SECRET_KEY);
    assertThat(ValueChecks.weak("JWT_SECRET", hex48)).isEmpty();
  }

  @Test
  void words_splitAtDelimitersAndCaseChanges() {
    assertThat(ValueChecks.words("myAPIKey_value-two three"))
        .containsExactly("my", "API", "Key", "value", "two", "three");
  }

  @Test
  void sensitive_namesOfTheIssue() {
    assertThat(ValueChecks.sensitive("HUBTEL_CLIENT_SECRET")).isTrue();
    assertThat(ValueChecks.sensitive("password")).isTrue();
    assertThat(ValueChecks.sensitive("DB_HOST")).isFalse();
  }
}
