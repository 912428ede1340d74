package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.testing.TestServices;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/**
 * {@code keyturn jwt sign|verify} and {@code GET /v1/jwks/{name}} against a real server, checked
 * both ways against PyJWT (Debian's python3-jwt): Keyturn's tokens verified by PyJWT through {@code
 * PyJWKClient} on the JWKS URL (HMAC keys by value), PyJWT's tokens verified by Keyturn.
 */
class JwtCommandTest {
  private static final String PYTHON = "/usr/bin/python3";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path work;
  static DeliveryFixture fx;
  static Map<String, String> root;
  static Map<String, String> reader;

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
    root = Map.of("KEYTURN_TOKEN", fx.rootToken);
    reader = Map.of("KEYTURN_TOKEN", fx.token("read:jwt/*"));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  /** A secret under a rule with {@code generator}, 24 h grace, and its first version. */
  private static void secret(String name, String generator, boolean jwks) {
    fx.admin.put(name, new PutSecretRequest(null, null, generator, null, null));
    List<String> args =
        new ArrayList<>(
            List.of("rotation", "set", name, "--generate", generator, "--grace", "24h"));
    if (jwks) {
      args.addAll(List.of("--jwks", "public"));
    }
    DeliveryFixture.Run rule = fx.inProcess(root, args.toArray(String[]::new));
    assertThat(rule.code()).as(rule.err()).isZero();
  }

  private static String value(String name) {
    return fx.admin.get(name).value().stringValue();
  }

  private static DeliveryFixture.Run verify(String name, String token, String... more) {
    List<String> args = new ArrayList<>(List.of("jwt", "verify", name));
    args.addAll(List.of(more));
    return fx.inProcess(
        reader, (token + "\n").getBytes(StandardCharsets.UTF_8), args.toArray(String[]::new));
  }

  private static String sign(String name, String... more) {
    List<String> args = new ArrayList<>(List.of("jwt", "sign", name));
    args.addAll(List.of(more));
    DeliveryFixture.Run r = fx.inProcess(reader, args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    return r.out().strip();
  }

  static HttpResponse<String> jwks(String rawName) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(fx.addr + "/v1/jwks/" + rawName)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode pyjwt(Map<String, String> job) throws Exception {
    if (!Files.isExecutable(Path.of(PYTHON))) {
      TestServices.unavailable("python3 (with python3-jwt)", new IOException(PYTHON + " missing"));
    }
    Path script = work.resolve("pyjwt_check.py");
    try (var in = JwtCommandTest.class.getResourceAsStream("/jwt/pyjwt_check.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p = new ProcessBuilder(PYTHON, script.toString()).start();
    p.getOutputStream().write(WireJson.mapper().writeValueAsBytes(job));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0 && err.contains("No module named 'jwt'")) {
      TestServices.unavailable("python3-jwt", new IOException(err.strip()));
    }
    assertThat(p.exitValue()).as(err).isZero();
    return WireJson.mapper().readTree(out);
  }

  @ParameterizedTest
  @CsvSource({
    "hex:32,,HS256",
    "hex:32,HS384,HS384",
    "base64url:64,HS512,HS512",
    "rsa:2048,,RS256",
    "rsa:2048,PS256,PS256",
    "ec:p256,,ES256",
    "ec:p384,,ES384",
    "ed25519,,EdDSA"
  })
  void signAndVerify_eachAlgorithm_interoperatesWithPyJwtBothWays(
      String generator, String alg, String expected) throws Exception {
    String name = "jwt/" + expected.toLowerCase() + "/KEY";
    boolean hmac = expected.startsWith("HS");
    secret(name, generator, !hmac);
    String[] algOption = alg == null ? new String[0] : new String[] {"--alg", alg};
    List<String> signArgs =
        new ArrayList<>(
            List.of("--claims", "{\"sub\":\"alice\",\"scope\":\"a;b\\\"c\"}", "--ttl", "10m"));
    signArgs.addAll(List.of(algOption));

    String token = sign(name, signArgs.toArray(String[]::new));
    JsonNode py =
        pyjwt(
            hmac
                ? Map.of("alg", expected, "token", token, "hmac_key", value(name))
                : Map.of(
                    "alg",
                    expected,
                    "token",
                    token,
                    "private_pem",
                    value(name),
                    "jwks_url",
                    fx.addr + "/v1/jwks/" + name));
    DeliveryFixture.Run fromPy = verify(name, py.get("token").stringValue(), algOption);
    DeliveryFixture.Run expired = verify(name, py.get("expired").stringValue(), algOption);

    JWSObject jws = JWSObject.parse(token);
    assertThat(jws.getHeader().getAlgorithm().getName()).isEqualTo(expected);
    assertThat(jws.getHeader().getKeyID()).isEqualTo(py.get("kid").stringValue());
    assertThat(py.get("claims").get("sub").stringValue()).isEqualTo("alice");
    assertThat(py.get("claims").get("scope").stringValue()).isEqualTo("a;b\"c");
    long iat = py.get("claims").get("iat").longValue();
    assertThat(py.get("claims").get("exp").longValue()).isEqualTo(iat + 600);
    assertThat(fromPy.code()).as(fromPy.err()).isZero();
    assertThat(WireJson.mapper().readTree(fromPy.out()).get("sub").stringValue())
        .isEqualTo("from-pyjwt");
    assertThat(expired.code()).isEqualTo(ExitCode.FOUND);
    assertThat(expired.err()).startsWith("keyturn: token refused: expired at ");
    if (hmac) {
      assertThat(token + fromPy.out() + fromPy.err()).doesNotContain(value(name));
    }
  }

  @Test
  void verify_forgedTokens_refusedWithExit3NamingWhy() throws Exception {
    String name = "jwt/forged/KEY";
    secret(name, "rsa:2048", true);
    String good = sign(name, "--claims", "{\"sub\":\"alice\"}");
    String kid = JWSObject.parse(good).getHeader().getKeyID();
    long exp = System.currentTimeMillis() / 1000 + 300;
    String payload = "{\"sub\":\"mallory\",\"exp\":" + exp + "}";
    RSAKey published = (RSAKey) JWKSet.parse(jwks(name).body()).getKeyByKeyId(kid);
    String publicPem =
        "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder().encodeToString(published.toRSAPublicKey().getEncoded())
            + "\n-----END PUBLIC KEY-----\n";
    JWSObject confused =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), new Payload(payload));
    confused.sign(new MACSigner(publicPem.getBytes(StandardCharsets.US_ASCII)));
    RSAKey stranger = new RSAKeyGenerator(2048).keyIDFromThumbprint(true).generate();
    JWSObject unknown =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(stranger.getKeyID()).build(),
            new Payload(payload));
    unknown.sign(new RSASSASigner(stranger));
    String none = b64("{\"alg\":\"none\",\"kid\":\"" + kid + "\"}") + "." + b64(payload) + ".";
    String[] parts = good.split("\\.");
    String tampered = parts[0] + "." + b64(payload) + "." + parts[2];

    Map<String, String> refusals =
        Map.of(
            none,
            "alg: none",
            confused.serialize(),
            "foreign algorithm 'HS256'",
            unknown.serialize(),
            "unknown or retired kid",
            tampered,
            "bad signature",
            "not-a-token",
            "not a signed JWT");
    for (Map.Entry<String, String> r : refusals.entrySet()) {
      DeliveryFixture.Run run = verify(name, r.getKey());
      assertThat(run.code()).as(r.getValue()).isEqualTo(ExitCode.FOUND);
      assertThat(run.err()).contains(r.getValue()).doesNotContain("mallory").hasLineCount(1);
      assertThat(run.out()).isEmpty();
    }
    assertThat(verify(name, good).code()).isZero();
  }

  @Test
  void rotation_previousInGraceVerifies_retiredKidRefused_jwksFollows() throws Exception {
    String name = "jwt/rotated/KEY";
    secret(name, "ec:p256", true);
    String v1 = sign(name, "--claims", "{}");
    fx.admin.put(name, new PutSecretRequest(null, null, "ec:p256", "24h", null));
    fx.admin.put(name, new PutSecretRequest(null, null, "ec:p256", null, "pending"));
    List<String> kidsInGrace = kids(jwks(name).body());

    DeliveryFixture.Run inGrace = verify(name, v1);
    fx.admin.stage(name, new dev.keyturn.api.StageRequest(1, "retired", null));
    DeliveryFixture.Run retired = verify(name, v1);

    assertThat(inGrace.code()).as(inGrace.err()).isZero();
    assertThat(kidsInGrace).hasSize(3).contains(JWSObject.parse(v1).getHeader().getKeyID());
    assertThat(retired.code()).isEqualTo(ExitCode.FOUND);
    assertThat(retired.err()).contains("unknown or retired kid");
    assertThat(kids(jwks(name).body())).doesNotContain(JWSObject.parse(v1).getHeader().getKeyID());
  }

  @Test
  void jwks_publicKeysOnly_cacheableForAMinute_notAudited() throws Exception {
    String name = "jwt/published/KEY";
    secret(name, "rsa:2048", true);
    fx.admin.put(name, new PutSecretRequest(null, null, "rsa:2048", "24h", null));

    HttpResponse<String> response = jwks(name);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("cache-control")).contains("public, max-age=60");
    assertThat(response.headers().firstValue("content-type")).contains("application/json");
    JsonNode keys = WireJson.mapper().readTree(response.body()).get("keys");
    assertThat(keys).hasSize(2);
    for (JsonNode key : keys) {
      assertThat(key.propertyNames())
          .containsOnly("kty", "n", "e", "kid", "alg", "use")
          .doesNotContain("d", "p", "q", "dp", "dq", "qi", "k");
      assertThat(key.get("use").stringValue()).isEqualTo("sig");
      assertThat(JWK.parse(key.toString()).computeThumbprint().toString())
          .isEqualTo(key.get("kid").stringValue());
    }
    assertThat(response.body()).doesNotContain(value(name).substring(40, 80));
    assertThat(
            fx.admin
                .audit(
                    Optional.empty(), Optional.of(name), Optional.of("jwks.read"), Optional.empty())
                .records())
        .isEmpty();
  }

  @Test
  void jwks_everyNameThatPublishesNothing_getsTheSame404() throws Exception {
    secret("jwt/symmetric/KEY", "hex:32", false);
    secret("jwt/unpublished/KEY", "ed25519", false);
    fx.admin.put("jwt/norule/KEY", new PutSecretRequest(null, null, "rsa:2048", null, null));
    List<String> names =
        List.of(
            "jwt/symmetric/KEY",
            "jwt/unpublished/KEY",
            "jwt/norule/KEY",
            "jwt/nothing/here",
            "a//b",
            "x;y%0d%0aSet-Cookie:a",
            "%2e%2e/etc",
            "q%27%22",
            "x".repeat(300));

    List<String> answers = new ArrayList<>();
    for (String n : names) {
      HttpResponse<String> r = jwks(n);
      answers.add(
          r.statusCode()
              + " "
              + r.headers().firstValue("cache-control").orElse("")
              + " "
              + r.body());
    }

    assertThat(answers).as(names.toString()).containsOnly(answers.get(0));
    assertThat(answers.get(0))
        .startsWith("404 no-store ")
        .contains("no JWK Set is published under this name");
  }

  @Test
  void rule_jwksPublicOnSymmetricGenerator_refused_andReadBack() {
    fx.admin.put("jwt/hs/RULE", new PutSecretRequest(null, null, "hex:32", null, null));
    fx.admin.put("jwt/ed/RULE", new PutSecretRequest(null, null, "ed25519", null, null));
    DeliveryFixture.Run hmac =
        fx.inProcess(
            root, "rotation", "set", "jwt/hs/RULE", "--generate", "hex:32", "--jwks", "public");
    DeliveryFixture.Run bad =
        fx.inProcess(
            root, "rotation", "set", "jwt/ed/RULE", "--generate", "ed25519", "--jwks", "yes");
    DeliveryFixture.Run set =
        fx.inProcess(
            root, "rotation", "set", "jwt/ed/RULE", "--generate", "ed25519", "--jwks", "public");
    DeliveryFixture.Run shown = fx.inProcess(root, "rotation", "show", "jwt/ed/RULE", "--json");

    assertThat(hmac.code()).isEqualTo(ExitCode.ERROR);
    assertThat(hmac.err()).contains("--jwks public needs a generator that makes key pairs");
    assertThat(bad.code()).isEqualTo(ExitCode.ERROR);
    assertThat(bad.err()).contains("jwks is public or none");
    assertThat(set.code()).as(set.err()).isZero();
    assertThat(shown.out()).contains("\"jwks\":\"public\"");
  }

  @Test
  void adversary_otherNamesTokensAndHostileInput_refusedBeforeAnythingIsPrinted() throws Exception {
    String name = "jwt/adversary/KEY";
    secret(name, "hex:32", false);
    secret("other/KEY", "hex:32", false);
    Map<String, String> elsewhere = Map.of("KEYTURN_TOKEN", fx.token("read:other/*"));
    Map<String, String> lister = Map.of("KEYTURN_TOKEN", fx.token("list:jwt/*"));
    String canary = value(name);

    List<DeliveryFixture.Run> refused =
        List.of(
            fx.inProcess(elsewhere, "jwt", "sign", name, "--claims", "{}"),
            fx.inProcess(lister, "jwt", "sign", name, "--claims", "{}"),
            fx.inProcess(elsewhere, "x".getBytes(StandardCharsets.UTF_8), "jwt", "verify", name));
    DeliveryFixture.Run array = fx.inProcess(reader, "jwt", "sign", name, "--claims", "[1]");
    DeliveryFixture.Run setsExp =
        fx.inProcess(reader, "jwt", "sign", name, "--claims", "{\"exp\":1}");
    DeliveryFixture.Run tooLong =
        fx.inProcess(reader, "jwt", "sign", name, "--claims", "{}", "--ttl", "25h");
    DeliveryFixture.Run hostileName =
        fx.inProcess(reader, "jwt", "sign", "jwt/../x\r\nX: y", "--claims", "{}");
    DeliveryFixture.Run huge = fx.inProcess(reader, new byte[300 * 1024], "jwt", "verify", name);
    DeliveryFixture.Run foreignAlg =
        fx.inProcess(reader, "jwt", "sign", name, "--claims", "{}", "--alg", "RS256");
    DeliveryFixture.Run noClaims = fx.inProcess(reader, "jwt", "sign", name);

    for (DeliveryFixture.Run r : refused) {
      assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.REFUSED);
      assertThat(r.out()).isEmpty();
    }
    assertThat(array.err()).contains("the claims are not a JSON object");
    assertThat(setsExp.err()).contains("iat and exp are set by the signer");
    assertThat(tooLong.err()).contains("is beyond jwt/adversary/KEY's grace of 86400s");
    assertThat(hostileName.err()).contains("invalid secret name").hasLineCount(1);
    assertThat(huge.err()).contains("over 256 KiB");
    assertThat(foreignAlg.err()).contains("signs with HS256 or HS384 or HS512");
    for (DeliveryFixture.Run r : List.of(array, setsExp, tooLong, hostileName, huge, foreignAlg)) {
      assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.ERROR);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).doesNotContain(canary);
    }
    assertThat(noClaims.code()).isEqualTo(ExitCode.USAGE);
  }

  @Test
  void fastPath_answersAsPicocliDoes_andDeclinesWhatItIsNotSureOf() throws Exception {
    String name = "jwt/fast/KEY";
    secret(name, "ed25519", false);
    secret("jwt/fast/HS", "hex:32", false);
    fx.admin.put("jwt/fast/NORULE", new PutSecretRequest(null, null, "hex:32", null, null));
    Files.writeString(work.resolve("claims.json"), "{\"sub\":\"file\"}");
    Map<String, String> elsewhere = Map.of("KEYTURN_TOKEN", fx.token("read:other/*"));
    String signed = sign(name, "--claims", "{\"sub\":\"alice\"}");
    byte[] token = (signed + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] forged =
        (signed.substring(0, signed.length() - 4) + "AAAA\n").getBytes(StandardCharsets.UTF_8);
    List<String[]> lines =
        List.of(
            new String[] {"jwt", "verify", name},
            new String[] {"jwt", "verify", "jwt/fast/HS"},
            new String[] {"jwt", "verify", "jwt/fast/NORULE"},
            new String[] {"jwt", "verify", "jwt/fast/NONE"},
            new String[] {"jwt", "verify", name, "--alg", "HS256"},
            new String[] {"jwt", "sign", name, "--claims", "[1]"},
            new String[] {"jwt", "sign", name, "--claims", "{}", "--ttl", "25h"},
            new String[] {"jwt", "sign", name, "--claims", "{}", "--ttl", "soon"},
            new String[] {"jwt", "sign", name, "--claims-file", "missing.json"},
            new String[] {"jwt", "sign", "jwt/fast/NORULE", "--claims", "{}"},
            new String[] {"jwt", "sign", "a;b", "--claims", "{}"});
    for (Map<String, String> env : List.of(reader, elsewhere)) {
      for (String[] args : lines) {
        for (byte[] stdin : List.of(token, forged)) {
          DeliveryFixture.Run fast = fx.inProcess(true, env, stdin, args);
          DeliveryFixture.Run full = fx.inProcess(false, env, stdin, args);

          String line = String.join(" ", args);
          assertThat(fast.code()).as("declined " + line).isNotEqualTo(FastCli.DECLINED);
          assertThat(fast.out()).as(line).isEqualTo(full.out());
          assertThat(fast.err()).as(line).isEqualTo(full.err());
          assertThat(fast.code()).as(line).isEqualTo(full.code());
        }
      }
    }
    // a token the fast path signs is one picocli's verify accepts, with the file's claims
    DeliveryFixture.Run fromFile =
        fx.inProcess(
            true, reader, new byte[0], "jwt", "sign", name, "--claims-file", "claims.json");
    assertThat(fromFile.code()).as(fromFile.err()).isZero();
    assertThat(verify(name, fromFile.out().strip()).out()).contains("\"sub\":\"file\"");

    for (String[] args :
        List.of(
            new String[] {"jwt"},
            new String[] {"jwt", "decode", name},
            new String[] {"jwt", "sign", name},
            new String[] {"jwt", "sign", name, "--claims", "{}", "--claims-file", "claims.json"},
            new String[] {"jwt", "sign", name, "--claims={}"},
            new String[] {"jwt", "sign", name, "--claims", "{}", "--ttl", "1h", "--ttl", "2h"},
            new String[] {"jwt", "sign", name, "--claims", "-1"},
            new String[] {"jwt", "sign", "@args", "--claims", "{}"},
            new String[] {"jwt", "verify", name, "--json"},
            new String[] {"jwt", "verify", name, "--", "x"},
            new String[] {"jwt", "verify", name, "--help"})) {
      DeliveryFixture.Run r = fx.inProcess(true, reader, token, args);

      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(FastCli.DECLINED);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).isEmpty();
    }
  }

  private static List<String> kids(String jwks) throws Exception {
    return JWKSet.parse(jwks).getKeys().stream().map(JWK::getKeyID).toList();
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
