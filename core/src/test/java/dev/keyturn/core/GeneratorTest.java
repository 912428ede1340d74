package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeneratorTest {
  private final SecureRandom random = new SecureRandom();

  private String gen(String spec) {
    return new String(Generator.parse(spec).generate(random).reveal(), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 16, 32, 64})
  void hex_isTwoLowercaseDigitsPerByteLikeOpensslRandHex(int n) {
    String value = gen("hex:" + n);

    assertThat(value).matches("[0-9a-f]{" + (2 * n) + "}");
    assertThat(HexFormat.of().parseHex(value)).hasSize(n);
  }

  @Test
  void hex_matchesOpensslFormat() {
    ReferenceTools.requireOpenssl();
    String openssl =
        ReferenceTools.run(List.of("openssl", "rand", "-hex", "32"), new byte[0]).out().strip();

    assertThat(gen("hex:32")).hasSameSizeAs(openssl).matches("[0-9a-f]+");
    assertThat(openssl).matches("[0-9a-f]+");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 32, 48, 100})
  void base64_isStandardPaddedOneLineLikeOpenssl(int n) {
    ReferenceTools.requireOpenssl();
    String value = gen("base64:" + n);
    String openssl =
        ReferenceTools.run(List.of("openssl", "rand", "-base64", Integer.toString(n)), new byte[0])
            .out()
            .replace("\n", "");

    assertThat(value).matches("[A-Za-z0-9+/]*={0,2}").doesNotContain("\n");
    assertThat(Base64.getDecoder().decode(value)).hasSize(n);
    assertThat(value).hasSameSizeAs(openssl);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 16, 32, 64})
  void base64url_isUnpaddedLikePythonTokenUrlsafe(int n) {
    String python = ReferenceTools.pythonWithCryptography();
    String reference =
        ReferenceTools.run(
                List.of(python, "-c", "import secrets; print(secrets.token_urlsafe(" + n + "))"),
                new byte[0])
            .out()
            .strip();

    String value = gen("base64url:" + n);

    assertThat(value).matches("[A-Za-z0-9_-]+").hasSameSizeAs(reference);
    assertThat(Base64.getUrlDecoder().decode(value)).hasSize(n);
  }

  @Test
  void django_is50CharactersOfDjangosAlphabet() {
    for (int i = 0; i < 50; i++) {
      String value = gen("django");

      assertThat(value).hasSize(50);
      for (char c : value.toCharArray()) {
        assertThat(Generator.DJANGO_ALPHABET).contains(String.valueOf(c));
      }
    }
  }

  @Test
  void fernet_isAcceptedByPythonCryptography() {
    String python = ReferenceTools.pythonWithCryptography();
    String key = gen("fernet");

    ReferenceTools.Result result =
        ReferenceTools.run(
            List.of(
                python,
                "-c",
                "import sys; from cryptography.fernet import Fernet;"
                    + " f = Fernet(sys.stdin.read().strip().encode());"
                    + " print(f.decrypt(f.encrypt(b'ok')).decode())"),
            key.getBytes(StandardCharsets.US_ASCII));

    assertThat(key).hasSize(44).matches("[A-Za-z0-9_-]{43}=");
    assertThat(Base64.getUrlDecoder().decode(key)).hasSize(32);
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(result.out().strip()).isEqualTo("ok");
  }

  @Test
  void password_hasEveryClassAndRespectsLength() {
    for (int i = 0; i < 200; i++) {
      String value = gen("password:8");

      assertThat(value).hasSize(8);
      assertThat(value).containsPattern("[a-z]").containsPattern("[A-Z]").containsPattern("[0-9]");
      assertThat(value.chars().anyMatch(c -> Generator.SYMBOLS.indexOf(c) >= 0)).isTrue();
    }
  }

  @Test
  void password_exclude_neverUsesExcludedCharacters() {
    for (int i = 0; i < 200; i++) {
      String value = gen("password:32:exclude=0OoIl1!#$%&");

      assertThat(value).hasSize(32).doesNotContainAnyWhitespaces();
      assertThat(value).doesNotContainPattern("[0OoIl1!#$%&]");
    }
  }

  @Test
  void password_excludingAWholeClass_isRefused() {
    assertThatThrownBy(() -> Generator.parse("password:16:exclude=0123456789"))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("removes every character of a required class");
  }

  @Test
  void uuid_isVersion4() {
    String value = gen("uuid");

    UUID uuid = UUID.fromString(value);
    assertThat(uuid.version()).isEqualTo(4);
    assertThat(uuid.variant()).isEqualTo(2);
    assertThat(value)
        .matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rsa:2048", "ec:p256", "ec:p384", "ed25519"})
  void privateKeys_arePkcs8PemThatOpensslReads(String spec) throws Exception {
    ReferenceTools.requireOpenssl();
    String pem = gen(spec);

    assertThat(pem)
        .startsWith("-----BEGIN PRIVATE KEY-----\n")
        .endsWith("-----END PRIVATE KEY-----");
    ReferenceTools.Result result =
        ReferenceTools.run(
            List.of("openssl", "pkey", "-noout", "-text"), pem.getBytes(StandardCharsets.US_ASCII));
    assertThat(result.exit()).as(result.err()).isZero();
    String expected =
        switch (spec) {
          case "rsa:2048" -> "Private-Key: (2048 bit";
          case "ec:p256" -> "Private-Key: (256 bit)";
          case "ec:p384" -> "Private-Key: (384 bit)";
          default -> "ED25519 Private-Key";
        };
    assertThat(result.out()).contains(expected);
  }

  @Test
  void privateKeys_parseWithTheJdk() throws Exception {
    RSAPrivateKey rsa =
        (RSAPrivateKey) KeyFactory.getInstance("RSA").generatePrivate(der(gen("rsa:3072")));
    ECPrivateKey ec =
        (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(der(gen("ec:p256")));

    assertThat(rsa.getModulus().bitLength()).isEqualTo(3072);
    assertThat(ec.getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
    assertThat(KeyFactory.getInstance("Ed25519").generatePrivate(der(gen("ed25519")))).isNotNull();
  }

  @Test
  void values_doNotRepeat() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      assertThat(seen.add(gen("hex:16"))).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "hex",
        "hex:",
        "hex:0",
        "hex:x",
        "hex:4097",
        "rsa:1024",
        "ec:p521",
        "password:4",
        "password:16:include=a",
        "django:1",
        "sha:32",
        "base64url:-1"
      })
  void parse_badSpec_listsTheValidOnes(String spec) {
    assertThatThrownBy(() -> Generator.parse(spec))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("valid specs: hex:N, base64:N");
  }

  @Test
  void manual_cannotGenerate() {
    Generator manual = Generator.parse("manual");

    assertThat(manual.isManual()).isTrue();
    assertThatThrownBy(() -> manual.generate(random))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }

  private static PKCS8EncodedKeySpec der(String pem) {
    String body =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    return new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body));
  }

  @Test
  void password_thatWouldReadAsAPlaceholder_isDrawnAgain() {
    // The draws spell "<Ab-cd1>" (every class present, but wrapped in <> with words inside: the
    // store would refuse it as a template's placeholder), then "Xy7!Xy7!".
    String all = Generator.LOWER + Generator.UPPER + Generator.DIGITS + Generator.SYMBOLS;
    java.util.ArrayDeque<Integer> draws = new java.util.ArrayDeque<>();
    for (char c : "<Ab-cd1>Xy7!Xy7!".toCharArray()) {
      draws.add(all.indexOf(c));
    }
    SecureRandom scripted =
        new SecureRandom() {
          @Override
          public int nextInt(int bound) {
            assertThat(bound).isEqualTo(all.length());
            return draws.remove();
          }
        };

    String value =
        new String(
            Generator.parse("password:8").generate(scripted).reveal(), StandardCharsets.UTF_8);

    assertThat(ValueChecks.placeholder("<Ab-cd1>")).isNotEmpty();
    assertThat(value).isEqualTo("Xy7!Xy7!");
  }
}
