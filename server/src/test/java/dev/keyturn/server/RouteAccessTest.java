package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.keyturn.api.WireJson;
import dev.keyturn.core.Capability;
import dev.keyturn.core.Grant;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.SecretName;
import dev.keyturn.server.Access.Extra;
import dev.keyturn.server.Access.Subject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The access test generated from the route table: for every route, no token and an unknown token
 * (401), a token with every capability on another name, a token with every other capability on this
 * name (403, or for a list an answer without this name's rows), and the declared grant (not
 * 401/403, and for a list this name's rows); for every extra requirement a route declares, the
 * declared grant without it (403) and with it (not 401/403). Expectations are read from each
 * route's {@link Access} declaration; this class only knows how to call each route ({@link
 * #EXAMPLES}), so a route added without an example fails here. Every case runs against a fresh
 * secret on a real server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouteAccessTest {
  private static final List<Capability> ALL = List.of(Capability.values());

  /** How to call a route: query, body, and for each extra the call that triggers it. */
  record Example(String query, String body, Map<String, Example> extras) {
    Example(String query, String body) {
      this(query, body, Map.of());
    }
  }

  /**
   * One call per route, keyed by method and path template. Placeholders: {@code {name}} the subject
   * secret, {@code {parent}} the folder it lies in, {@code {named}} another secret, {@code
   * {rotation}} a rotation of the subject, {@code {token}} a token's id. The fixture's subject has
   * version 1 retired, 2 previous (24 h) and 3 current, a rule, and a finished rotation. {@code GET
   * /v1/jwks/{name}} is called on the fixture's Ed25519 key, whose rule publishes its JWK Set.
   */
  private static final String RESTORED_VERSION =
      "\"versions\":[{\"version\":1,\"stage\":\"current\",\"type\":\"string\","
          + "\"created_at\":\"2026-01-01T00:00:00Z\",\"created_by\":\"t\",\"accept_until\":null,"
          + "\"value\":\"x\",\"sha256\":"
          + "\"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\"}]";

  private static final String RESTORE_HEADER =
      "{\"format\":\"keyturn-backup\",\"format_version\":1,"
          + "\"created_at\":\"2026-01-01T00:00:00Z\",\"server_id\":\"s\",\"root_key_id\":\"r\","
          + "\"audit_checkpoint\":null,\"prefix\":\"\",\"secrets\":[";

  /** A backup document (docs/backup.md) of the subject alone: restoring it changes nothing. */
  private static final String RESTORE_ONE =
      RESTORE_HEADER
          + "{\"name\":\"{name}\",\"rule\":null,"
          + RESTORED_VERSION
          + "}],\"secret_count\":1}";

  /** A backup document of the subject and another secret. */
  private static final String RESTORE_TWO =
      RESTORE_HEADER
          + "{\"name\":\"{name}\",\"rule\":null,"
          + RESTORED_VERSION
          + "},{\"name\":\"{named}\",\"rule\":null,"
          + RESTORED_VERSION
          + "}],\"secret_count\":2}";

  /**
   * A backup document of the subject with a rule whose target's admin credential is the other
   * secret (restoring it needs read on that one).
   */
  private static final String RESTORE_WITH_RULE =
      RESTORE_HEADER
          + "{\"name\":\"{name}\",\"rule\":"
          + WireJson.mapper()
              .writeValueAsString(
                  RuleCodec.toDocument(
                      RotationRule.builder(SecretName.of("rule/of/KEY"))
                          .targetType("postgres")
                          .target(Map.of("admin", "{named}"))
                          .build()))
          + ","
          + RESTORED_VERSION
          + "}],\"secret_count\":1}";

  static final Map<String, Example> EXAMPLES =
      Map.ofEntries(
          Map.entry("GET /v1/health", new Example("", null)),
          Map.entry("GET /v1/openapi.json", new Example("", null)),
          Map.entry("GET /metrics", new Example("", null)),
          Map.entry("GET /v1/whoami", new Example("", null)),
          Map.entry("POST /v1/seal", new Example("", null)),
          Map.entry("GET /v1/root-key", new Example("", null)),
          Map.entry("POST /v1/root-key/rotate", new Example("", null)),
          Map.entry("POST /v1/root-key/confirm", new Example("", "{\"shares\": [\"1-00\"]}")),
          Map.entry("GET /v1/secrets", new Example("", null)),
          Map.entry("PUT /v1/secrets/{name}", new Example("", "{\"value\":\"x\"}")),
          Map.entry(
              "GET /v1/secrets/{name}",
              new Example(
                  "",
                  null,
                  Map.of("a retired version by number", new Example("?version=1", null)))),
          Map.entry("DELETE /v1/secrets/{name}", new Example("", null)),
          Map.entry("GET /v1/bundles", new Example("?prefix={parent}", null)),
          Map.entry("POST /v1/fingerprints", new Example("", "{\"prefix\":\"{parent}\"}")),
          Map.entry("GET /v1/hygiene", new Example("?prefix={parent}", null)),
          Map.entry("GET /v1/watch", new Example("?prefix={parent}&last_event_id=0", null)),
          Map.entry("GET /v1/keyrings/{name}", new Example("", null)),
          Map.entry("GET /v1/jwks/{name}", new Example("", null)),
          Map.entry("GET /v1/versions/{name}", new Example("", null)),
          Map.entry("GET /v1/metadata/{name}", new Example("", null)),
          Map.entry(
              "POST /v1/stages/{name}",
              new Example(
                  "",
                  "{\"version\":2,\"stage\":\"retired\"}",
                  Map.of(
                      "previous to current",
                      new Example("", "{\"version\":2,\"stage\":\"current\"}")))),
          Map.entry(
              "POST /v1/tokens",
              new Example(
                  "",
                  "{\"grants\":[\"read:{name}\"],\"ttl\":\"1h\"}",
                  Map.of(
                      "the new token's grants",
                      new Example("", "{\"grants\":[\"read:{named}\"],\"ttl\":\"1h\"}")))),
          Map.entry(
              "POST /v1/tokens/orphan",
              new Example("", "{\"grants\":[\"read:{name}\"],\"ttl\":\"1h\"}")),
          Map.entry("POST /v1/tokens/self/renew", new Example("", null)),
          Map.entry(
              "PUT /v1/consumers/{id}",
              new Example(
                  "",
                  "{\"name\":\"n\",\"kind\":\"run\",\"ttl_seconds\":90,"
                      + "\"secrets\":[{\"name\":\"{name}\",\"using\":3,\"accepting\":[3]}]}",
                  Map.of(
                      "each secret the consumer names",
                      new Example(
                          "",
                          "{\"name\":\"n\",\"kind\":\"run\",\"ttl_seconds\":90,"
                              + "\"secrets\":[{\"name\":\"{name}\",\"using\":3},"
                              + "{\"name\":\"{named}\",\"using\":1}]}")))),
          Map.entry("DELETE /v1/consumers/{id}", new Example("", null)),
          Map.entry(
              "GET /v1/consumers",
              new Example(
                  "?secret={name}",
                  null,
                  Map.of("the secret listed (?secret=)", new Example("?secret={named}", null)))),
          Map.entry("GET /v1/tokens", new Example("", null)),
          Map.entry("DELETE /v1/tokens/{id}", new Example("", null)),
          Map.entry(
              "PUT /v1/rules/{name}",
              new Example(
                  "",
                  "{\"target\":{\"type\":\"none\"}}",
                  Map.of(
                      "the secrets the rule names",
                      new Example(
                          "",
                          "{\"target\":{\"type\":\"none\"},\"hooks\":[{\"phase\":\"after-finish\","
                              + "\"type\":\"http\",\"url\":\"http://127.0.0.1:9/\","
                              + "\"signing-secret\":\"{named}\"}]}")))),
          Map.entry("GET /v1/rules/{name}", new Example("", null)),
          Map.entry("DELETE /v1/rules/{name}", new Example("", null)),
          Map.entry(
              "POST /v1/setup/{name}",
              new Example("", null, Map.of("the secrets the rule names", new Example("", null)))),
          Map.entry(
              "POST /v1/rotate/{name}",
              new Example(
                  "",
                  "{}",
                  Map.of("a supplied value", new Example("", "{\"value\":\"supplied-value-1\"}")))),
          Map.entry("GET /v1/rotations", new Example("", null)),
          Map.entry("GET /v1/rotations/{id}", new Example("", null)),
          Map.entry("POST /v1/rotations/{id}/cancel", new Example("", null)),
          Map.entry("GET /v1/status", new Example("", null)),
          Map.entry("GET /v1/audit/verify", new Example("", null)),
          Map.entry("GET /v1/audit/head", new Example("", null)),
          Map.entry("GET /v1/audit", new Example("", null)),
          Map.entry("POST /v1/backups", new Example("?prefix={parent}", null)),
          Map.entry(
              "POST /v1/restores",
              new Example(
                  "?dry_run=true",
                  RESTORE_ONE,
                  Map.of(
                      "each secret it restores (?prefix=)",
                      new Example("", RESTORE_TWO),
                      "the secrets its restored rules name",
                      new Example("?dry_run=true", RESTORE_WITH_RULE)))));

  @TempDir static Path dir;
  private RunningServer server;
  private final AtomicInteger counter = new AtomicInteger();

  @BeforeAll
  void start() {
    server =
        RunningServer.start(
            RunningServer.config(dir.resolve("data"), Optional.empty()).toBuilder()
                .authThrottle(1_000_000, Duration.ofSeconds(1))
                .build(),
            Clock.systemUTC(),
            RouteAccessTest::withoutSealing);
  }

  /**
   * The table with {@code POST /v1/seal}'s handler answering without sealing, so that its allowed
   * call does not seal the server every other case runs on; who may call it is still decided by its
   * declaration, before any handler. SealTest seals real server processes.
   */
  private static List<Route> withoutSealing(List<Route> table) {
    return table.stream()
        .map(r ->
            r.path().equals("/v1/seal")
                ? new Route(
                    r.method(),
                    r.path(),
                    r.tail(),
                    r.suffix(),
                    r.action(),
                    r.access(),
                    r.summary(),
                    r.requestType(),
                    r.responseType(),
                    ex -> new dev.keyturn.api.SealResponse(true, "rk-test", "restart", 0, ""))
                : r)
        .toList();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  /** A fresh subject secret and everything the examples refer to. */
  record Fixture(String name, String named, String rotation, String tokenId, String jwks) {
    String fill(String text) {
      return text.replace("{name}", name)
          .replace("{parent}", name.substring(0, name.lastIndexOf('/')))
          .replace("{named}", named)
          .replace("{rotation}", rotation)
          .replace("{token}", tokenId);
    }
  }

  private Fixture fixture(boolean ruleNamesASecret) {
    String base = "gen/" + counter.incrementAndGet();
    String name = base + "/KEY";
    String named = base + "/NAMED";
    asRoot("PUT", "/v1/secrets/" + name, "{\"value\":\"v1\"}");
    asRoot("PUT", "/v1/secrets/" + name, "{\"value\":\"v2\"}");
    asRoot("PUT", "/v1/secrets/" + name, "{\"value\":\"v3\",\"grace\":\"24h\"}");
    asRoot("PUT", "/v1/secrets/" + named, "{\"value\":\"n1\"}");
    String hooks =
        ruleNamesASecret
            ? "[{\"phase\":\"after-finish\",\"type\":\"http\",\"url\":\"http://127.0.0.1:9/\","
                + "\"signing-secret\":\""
                + named
                + "\"}]"
            : "[]";
    asRoot(
        "PUT",
        "/v1/rules/" + name,
        "{\"target\":{\"type\":\"none\"},\"grace\":\"24h\",\"hooks\":" + hooks + "}");
    String rotation = asRoot("POST", "/v1/rotate/" + name, "{}").get("id").stringValue();
    String tokenId =
        asRoot("POST", "/v1/tokens", "{\"grants\":[\"read:" + name + "\"],\"ttl\":\"1h\"}")
            .get("id")
            .stringValue();
    String jwks = base + "/JWK";
    asRoot("PUT", "/v1/secrets/" + jwks, "{\"generate\":\"ed25519\"}");
    asRoot("PUT", "/v1/rules/" + jwks, "{\"generate\":\"ed25519\",\"jwks\":\"public\"}");
    return new Fixture(name, named, rotation, tokenId, jwks);
  }

  private JsonNode asRoot(String method, String path, String body) {
    RunningServer.Raw r =
        server.raw(method, path, server.rootToken(), body.getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
    return WireJson.mapper().readTree(r.body());
  }

  /** The table's routes and those the handler answers itself without a token. */
  private static List<Route> routes() {
    List<Route> all = new ArrayList<>(OpenApi.publicRoutes());
    all.addAll(RouteTables.offline());
    return all;
  }

  private static String key(Route route) {
    return route.method() + " " + route.template();
  }

  @Test
  void everyRoute_hasAnExample() {
    List<String> missing =
        routes().stream().map(RouteAccessTest::key).filter(k -> !EXAMPLES.containsKey(k)).toList();

    assertThat(missing).as("routes without an example in this test").isEmpty();
  }

  @TestFactory
  Stream<DynamicTest> everyRoute_answersAsItsDeclarationSays() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Route route : routes()) {
      Example example = EXAMPLES.get(key(route));
      if (example == null) {
        continue;
      }
      Access access = route.access();
      tests.add(test(route, "no token", () -> expectUnauthenticated(route, example, null)));
      tests.add(
          test(
              route,
              "an unknown token",
              () -> expectUnauthenticated(route, example, "kt_AAAAAAAAAAAAAAAAAAAAAA")));
      if (access.kind() != Access.Kind.CAPABILITY) {
        tests.add(test(route, "any valid token", () -> expectAnyToken(route, example)));
        continue;
      }
      Capability needed = access.capability().orElseThrow();
      tests.add(
          test(
              route,
              "every capability on another name",
              () -> expectRefused(route, example, f -> grants(ALL, "other/" + f.name()))));
      tests.add(
          test(
              route,
              "every other capability on this name",
              () ->
                  expectRefused(
                      route,
                      example,
                      f ->
                          grants(
                              ALL.stream()
                                  .filter(c -> c != needed && c != Capability.ADMIN)
                                  .filter(c -> !alternatives(access).contains(c))
                                  .toList(),
                              scope(access, f)))));
      tests.add(
          test(
              route,
              "the declared grant",
              () -> expectAllowed(route, example, f -> grants(List.of(needed), scope(access, f)))));
      for (Extra extra : access.extras()) {
        Example trigger = example.extras().get(extra.when());
        if (trigger == null) {
          tests.add(
              test(
                  route,
                  extra.when(),
                  () -> fail(key(route) + " has no example for '" + extra.when() + "'")));
          continue;
        }
        tests.add(
            test(
                route,
                extra.when() + " without " + extra.describe(),
                () ->
                    expectRefused(route, trigger, f -> grants(List.of(needed), scope(access, f)))));
        tests.add(
            test(
                route,
                extra.when() + " with " + extra.describe(),
                () ->
                    expectAllowed(
                        route,
                        trigger,
                        f -> {
                          List<String> g =
                              new ArrayList<>(grants(List.of(needed), scope(access, f)));
                          String on = extra.on() == Access.On.SUBJECT ? f.name() : f.named();
                          g.add(extra.capability().wireName() + ":" + on);
                          return g;
                        })));
      }
    }
    return tests.stream();
  }

  private static DynamicTest test(Route route, String what, Runnable body) {
    return DynamicTest.dynamicTest(key(route) + " with " + what, body::run);
  }

  /** The capabilities a list route also accepts in place of its own. */
  private static List<Capability> alternatives(Access access) {
    return access.subject() instanceof Subject.Rows rows ? rows.alternatives() : List.of();
  }

  /** The name a grant must cover for the route: its subject, or every name. */
  private static String scope(Access access, Fixture f) {
    if (access.subject() instanceof Subject.Folder) {
      return f.name().substring(0, f.name().lastIndexOf('/')) + "/*";
    }
    return access.subject() instanceof Subject.Everything ? "*" : f.name();
  }

  private static List<String> grants(List<Capability> capabilities, String glob) {
    return capabilities.stream().map(c -> c.wireName() + ":" + glob).toList();
  }

  private interface GrantsFor {
    List<String> of(Fixture f);
  }

  private void expectUnauthenticated(Route route, Example example, String token) {
    Fixture f = fixture(false);

    RunningServer.Raw r = call(route, example, f, token);

    if (route.access().kind() == Access.Kind.NO_TOKEN) {
      assertThat(r.status()).as(r.body()).isEqualTo(200);
    } else {
      assertThat(r.status()).as(r.body()).isEqualTo(401);
      assertThat(r.body()).contains("\"code\":\"unauthenticated\"");
    }
  }

  private void expectAnyToken(Route route, Example example) {
    Fixture f = fixture(false);

    RunningServer.Raw r = call(route, example, f, server.token("read:nothing/here"));

    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  private void expectRefused(Route route, Example example, GrantsFor grants) {
    Fixture f = fixture(!example.extras().isEmpty() || isTrigger(route, example));

    RunningServer.Raw r =
        call(route, example, f, server.token(grants.of(f).toArray(String[]::new)));

    if (route.access().filtersRows()) {
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).doesNotContain(f.name());
    } else {
      assertThat(r.status()).as(r.body()).isEqualTo(403);
      assertThat(r.body()).contains("\"code\":\"forbidden\"");
    }
  }

  private void expectAllowed(Route route, Example example, GrantsFor grants) {
    Fixture f = fixture(isTrigger(route, example));

    RunningServer.Raw r =
        call(route, example, f, server.token(grants.of(f).toArray(String[]::new)));

    assertThat(r.status()).as(r.body()).isNotIn(401, 403);
    if (route.access().filtersRows()) {
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("\"" + f.name() + "\"");
    }
  }

  /** Whether {@code example} is one that triggers an extra (its fixture's rule names a secret). */
  private static boolean isTrigger(Route route, Example example) {
    return EXAMPLES.get(key(route)).extras().containsValue(example);
  }

  private RunningServer.Raw call(Route route, Example example, Fixture f, String token) {
    String path =
        switch (route.tail()) {
          case NONE -> route.path();
          case NAME ->
              route.path()
                  + (route.path().equals("/v1/jwks/") ? f.jwks() : f.name())
                  + route.suffix();
          case ID ->
              route.path()
                  + (route.access().subject() instanceof Subject.Lookup
                      ? f.rotation()
                      : f.tokenId())
                  + route.suffix();
        };
    String query = f.fill(example.query());
    if (route.access().subject() instanceof Subject.Rows rows
        && !rows.inBody()
        && query.isEmpty()) {
      query = "?" + rows.param() + "=" + f.name();
    }
    byte[] body =
        example.body() == null ? null : f.fill(example.body()).getBytes(StandardCharsets.UTF_8);
    return server.raw(route.method(), path + query, token, body);
  }

  @Test
  void unknownRotationId_getsTheSameAnswerAsAForbiddenOne() {
    Fixture f = fixture(false);
    String elsewhere = server.token(grants(ALL, "other/*").toArray(String[]::new));

    for (String suffix : List.of("", "/cancel")) {
      String method = suffix.isEmpty() ? "GET" : "POST";
      RunningServer.Raw forbidden =
          server.raw(method, "/v1/rotations/" + f.rotation() + suffix, elsewhere, null);
      RunningServer.Raw unknown =
          server.raw(method, "/v1/rotations/rot_0123456789abcdef" + suffix, elsewhere, null);
      RunningServer.Raw malformed =
          server.raw(method, "/v1/rotations/rot_zz" + suffix, elsewhere, null);

      assertThat(forbidden.status()).isEqualTo(403);
      assertThat(unknown.status()).isEqualTo(forbidden.status());
      assertThat(unknown.body()).isEqualTo(forbidden.body());
      assertThat(malformed.body()).isEqualTo(forbidden.body());
    }
    assertThat(
            server
                .raw("GET", "/v1/rotations/rot_0123456789abcdef", server.rootToken(), null)
                .status())
        .as("a caller who may see every rotation is told it does not exist")
        .isEqualTo(404);
  }

  /**
   * Issue 11: for every route that starts or shapes a rotation, each capability alone on the name
   * (and admin elsewhere), against the capabilities docs/security.md documents. Written by hand, so
   * a wrong declaration in the route table fails here.
   */
  @TestFactory
  Stream<DynamicTest> rotationRoutes_letThroughOnlyTheDocumentedCapabilities() {
    record Case(String method, String path, String body, List<String> allowed) {}
    List<Case> cases =
        List.of(
            new Case(
                "PUT", "/v1/rules/{name}", "{\"target\":{\"type\":\"none\"}}", List.of("admin")),
            new Case("GET", "/v1/rules/{name}", null, List.of("admin")),
            new Case("DELETE", "/v1/rules/{name}", null, List.of("admin")),
            new Case("POST", "/v1/setup/{name}", null, List.of("admin")),
            new Case("POST", "/v1/rotate/{name}", "{}", List.of("rotate", "admin")),
            new Case("POST", "/v1/rotate/{name}", null, List.of("rotate", "admin")),
            new Case(
                "POST", "/v1/rotate/{name}", "{\"emergency\":true}", List.of("rotate", "admin")),
            new Case("POST", "/v1/rotate/{name}", "{\"value\":\"chosen-1\"}", List.of("admin")),
            new Case("GET", "/v1/rotations/{rotation}", null, List.of("rotate", "admin")),
            new Case("POST", "/v1/rotations/{rotation}/cancel", null, List.of("rotate", "admin")),
            new Case("PUT", "/v1/secrets/{name}", "{\"value\":\"x\"}", List.of("write", "admin")),
            new Case(
                "POST",
                "/v1/stages/{name}",
                "{\"version\":2,\"stage\":\"retired\"}",
                List.of("write", "admin")),
            new Case(
                "POST",
                "/v1/stages/{name}",
                "{\"version\":2,\"stage\":\"current\"}",
                List.of("admin")));
    List<DynamicTest> tests = new ArrayList<>();
    for (Case c : cases) {
      List<String> grantsToTry =
          new ArrayList<>(Arrays.stream(Capability.values()).map(Capability::wireName).toList());
      grantsToTry.add("admin elsewhere");
      for (String grant : grantsToTry) {
        boolean documented = c.allowed().contains(grant);
        tests.add(
            DynamicTest.dynamicTest(
                c.method() + " " + c.path() + " " + c.body() + " with " + grant + " alone",
                () -> {
                  Fixture f = fixture(false);
                  String token =
                      server.token(
                          grant.equals("admin elsewhere")
                              ? "admin:other/" + f.name()
                              : grant + ":" + f.name());

                  RunningServer.Raw r =
                      server.raw(
                          c.method(),
                          f.fill(c.path()),
                          token,
                          c.body() == null ? null : c.body().getBytes(StandardCharsets.UTF_8));

                  if (documented) {
                    assertThat(r.status()).as(r.body()).isNotIn(401, 403);
                  } else {
                    assertThat(r.status()).as(r.body()).isEqualTo(403);
                  }
                }));
      }
    }
    return tests.stream();
  }

  @Test
  void tokenCreation_withRandomGlobPairs_isAllowedExactlyWhenTheCallersGrantCovers() {
    Random random = new Random(20261128);
    List<String> pieces = List.of("app", "dev", "prod", "KEY", "*", "a*", "*_PUBLIC", "*dev*");
    int allowed = 0;
    for (int i = 0; i < 40; i++) {
      List<String> held = new ArrayList<>();
      for (int n = 1 + random.nextInt(3); n > 0; n--) {
        held.add(pieces.get(random.nextInt(pieces.size())));
      }
      // Half the time ask for a narrowing of the held glob (a star made literal or longer),
      // half the time for an unrelated one, so both answers occur.
      List<String> asked = new ArrayList<>(held);
      if (random.nextBoolean()) {
        int at = random.nextInt(asked.size());
        asked.set(at, asked.get(at).replace("*", random.nextBoolean() ? "x" : "*/y"));
      } else {
        asked.set(random.nextInt(asked.size()), pieces.get(random.nextInt(pieces.size())));
      }
      Grant caller = Grant.parse("admin:" + String.join("/", held));
      Grant wanted = Grant.parse("read:" + String.join("/", asked));
      boolean covers = caller.covers(wanted);
      allowed += covers ? 1 : 0;

      RunningServer.Raw r =
          server.raw(
              "POST",
              "/v1/tokens",
              server.token(caller.toString()),
              ("{\"grants\":[\"" + wanted + "\"],\"ttl\":\"1h\"}")
                  .getBytes(StandardCharsets.UTF_8));

      assertThat(r.status())
          .as(caller + " creating " + wanted + ": " + r.body())
          .isEqualTo(covers ? 200 : 403);
    }
    assertThat(allowed).as("pairs the caller covers").isBetween(5, 35);
  }

  @Test
  void fixture_standsAsTheExamplesAssume() {
    Fixture f = fixture(false);

    var versions =
        WireJson.mapper()
            .readTree(
                server.raw("GET", "/v1/versions/" + f.name(), server.rootToken(), null).body())
            .get("versions");

    assertThat(versions.toString()).contains("\"version\":2,\"stage\":\"previous\"");
    assertThat(versions.toString()).contains("\"version\":1,\"stage\":\"retired\"");
  }
}
