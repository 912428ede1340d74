package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.WhoAmIResponse;
import dev.keyturn.core.Capability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The route table's own rules: every route declares its access, and only the table decides it. */
class RoutesTest {
  @TempDir Path dir;

  private static Route route(String path, Route.Tail tail, Access access) {
    return new Route(
        "GET",
        path,
        tail,
        "test.route",
        access,
        "A test route.",
        null,
        WhoAmIResponse.class,
        ex -> null);
  }

  @Test
  void route_withoutAnAccessDeclaration_cannotBeMade() {
    assertThatThrownBy(() -> route("/v1/x", Route.Tail.NONE, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("every route declares who may call it");
    assertThatThrownBy(() -> Access.needs(null, new Access.Subject.PathName()))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() ->
            new Access(
                Access.Kind.CAPABILITY,
                Optional.empty(),
                new Access.Subject.PathName(),
                List.of(),
                Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must name it");
  }

  @Test
  void serverStart_withARouteWhoseCapabilityHasNoSubject_refusesToStart() {
    Route orphan =
        route(
            "/v1/orphan/",
            Route.Tail.ID,
            Access.needs(Capability.READ, new Access.Subject.PathName()));

    assertThatThrownBy(() ->
            KeyturnServer.start(
                RunningServer.config(dir.resolve("data"), Optional.empty()),
                Clock.systemUTC(),
                new SecureRandom(),
                table -> {
                  List<Route> more = new ArrayList<>(table);
                  more.add(orphan);
                  return more;
                }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("GET /v1/orphan/{id} checks its capability on a subject");
    // It released what it had opened: a server starts on the same folder at once.
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      assertThat(server.raw("GET", "/v1/health", null, null).status()).isEqualTo(200);
    }
  }

  @Test
  void check_aRouteDeclaredTwice_isRefused() {
    Route a = route("/v1/twice", Route.Tail.NONE, Access.anyToken());

    assertThatThrownBy(() -> Routes.check(List.of(a, a)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("declared twice");
  }

  @Test
  void check_theServersTable_passesAndDeclaresEveryRoute() {
    List<Route> routes = RouteTables.offline();

    assertThat(routes).allSatisfy(r -> assertThat(r.access()).isNotNull());
    assertThat(routes).hasSizeGreaterThanOrEqualTo(24);
  }

  @Test
  void handlers_neverDecideAccessThemselves() throws IOException {
    Pattern decision =
        Pattern.compile("caller\\.(require|can|mayHaveUnder)\\(|\\.covers\\(|Capability\\.[A-Z]+");
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of("src/main/java/dev/keyturn/server"))) {
      for (Path file : files.filter(f -> f.toString().endsWith("Api.java")).toList()) {
        Matcher m = decision.matcher(Files.readString(file));
        while (m.find()) {
          found.add(file.getFileName() + ": " + m.group());
        }
      }
    }

    assertThat(found).as("access decisions belong in Routes, enforced by Authorizer").isEmpty();
  }
}
