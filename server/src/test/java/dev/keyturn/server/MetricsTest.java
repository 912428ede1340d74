package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.CommandSpec;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.Outbound;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * {@code GET /metrics} of a real server on a fake clock, read after real requests and rotations:
 * the figures, not only the names.
 */
class MetricsTest {
  private static final String CANARY = "canary-metrics-5521";
  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(Instant.parse("2026-11-22T09:00:00Z"));
  private RunningServer server;
  private WireClient root;

  @BeforeEach
  void start() {
    Path applied = dir.resolve("applied");
    server =
        RunningServer.start(
            RunningServer.config(dir.resolve("data"), Optional.empty()).toBuilder()
                .hostPolicy(
                    new HostPolicy(
                        List.of(command("apply", "cat > " + applied), command("refuse", "false")),
                        List.of(),
                        Outbound.publicOnly()))
                .build(),
            clock);
    root = server.client();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static CommandSpec command(String name, String line) {
    return new CommandSpec(
        name,
        List.of("sh", "-c", line),
        Optional.empty(),
        Optional.empty(),
        Duration.ofMinutes(1),
        Map.of());
  }

  private static RuleBody rule(Map<String, String> target, String lastRotated) {
    return new RuleBody(
        "hex:32",
        "30d",
        null,
        null,
        target == null ? "overlap" : "single-user",
        null,
        target,
        null,
        null,
        null,
        2,
        "1s",
        null,
        null,
        null,
        lastRotated,
        null);
  }

  @Test
  void requests_areCountedByActionAndStatusClass_withoutWhatTheCallerSent() {
    Scrape before = Scrape.of(server);

    for (int i = 0; i < 3; i++) {
      root.whoami();
    }
    server.raw("GET", "/v1/" + CANARY, null, null);
    server.raw("GET", "/v1/secrets/" + CANARY + "/x", "kt_" + CANARY, null);
    Scrape after = Scrape.of(server);

    String ok = "keyturn_http_requests_seconds_count{action=\"token.self\",status=\"2xx\"}";
    assertThat(after.value(ok) - before.samples().getOrDefault(ok, 0.0)).isEqualTo(3);
    assertThat(
            after.value(
                "keyturn_http_requests_seconds_bucket{action=\"token.self\",status=\"2xx\",le=\"+Inf\"}"))
        .isEqualTo(after.value(ok));
    assertThat(
            after.value(
                "keyturn_http_requests_seconds_count{action=\"request.unknown\",status=\"4xx\"}"))
        .isEqualTo(1);
    assertThat(
            after.value(
                "keyturn_http_requests_seconds_count{action=\"secret.read\",status=\"4xx\"}"))
        .isEqualTo(1);
    assertThat(
            after.value("keyturn_audit_events_total") - before.value("keyturn_audit_events_total"))
        .as("one record for each whoami and each refusal")
        .isEqualTo(5);
    assertThat(
            after.value("keyturn_audit_append_seconds_count")
                - before.value("keyturn_audit_append_seconds_count"))
        .isEqualTo(5);
    assertThat(after.value("keyturn_audit_failures_total")).isZero();
    assertThat(after.text()).doesNotContain(CANARY);
  }

  @Test
  void rotationsStatesAndTheOldestOverdueRule_areReportedAsTheBoardShowsThem() throws Exception {
    root.put("m/OK", new PutSecretRequest("v1", null, null, null, null));
    root.put("m/FAIL", new PutSecretRequest(CANARY, null, null, null, null));
    root.put("m/LATE", new PutSecretRequest("v1", null, null, null, null));
    root.put("m/PLAIN", new PutSecretRequest("v1", null, null, null, null));
    root.putRule("m/OK", rule(null, null));
    root.putRule(
        "m/FAIL",
        rule(Map.of("type", "command", "set-command", "apply", "test-command", "refuse"), null));
    String due = root.putRule("m/LATE", rule(null, "2026-10-01")).nextDue();

    RotationInfo finished = root.rotate("m/OK", new RotateRequest(null, null));
    RotationInfo failing = root.rotate("m/FAIL", new RotateRequest(null, null));
    clock.advance(Duration.ofSeconds(1));
    Eventually.waitFor(
        Duration.ofSeconds(15), () -> root.rotation(failing.id()).state().equals("failed"));
    for (String name : List.of("m/OK", "m/FAIL", "m/LATE", "m/PLAIN")) {
      root.get(name);
    }
    Scrape scrape = Scrape.of(server);

    assertThat(finished.state()).isEqualTo("finished");
    assertThat(scrape.value("keyturn_rotations_total{outcome=\"finished\"}")).isEqualTo(1);
    assertThat(scrape.value("keyturn_rotations_total{outcome=\"rolled_back\"}")).isEqualTo(1);
    assertThat(scrape.value("keyturn_rotations_total{outcome=\"failed\"}")).isZero();
    assertThat(scrape.value("keyturn_secrets{state=\"ok\"}")).isEqualTo(1);
    assertThat(scrape.value("keyturn_secrets{state=\"failed\"}")).isEqualTo(1);
    assertThat(scrape.value("keyturn_secrets{state=\"overdue\"}")).isEqualTo(1);
    assertThat(scrape.value("keyturn_secrets{state=\"no_rule\"}")).isEqualTo(1);
    assertThat(scrape.value("keyturn_secrets{state=\"due\"}")).isZero();
    assertThat(scrape.value("keyturn_secrets{state=\"rotating\"}")).isZero();
    assertThat(scrape.value("keyturn_rotation_overdue_seconds"))
        .isEqualTo(Duration.between(Instant.parse(due), clock.instant()).toSeconds());
    assertThat(scrape.value("keyturn_cache_secrets")).as("the four secrets just read").isEqualTo(4);
    assertThat(scrape.value("keyturn_cache_bytes"))
        .as("four secrets, counted at a kibibyte each plus their ciphertexts, within the bound")
        .isBetween(4.0 * 1024, (double) dev.keyturn.core.spi.CachingStore.DEFAULT_MAX_BYTES);
    assertThat(scrape.text()).doesNotContain(CANARY).doesNotContain(server.rootToken());
  }

  @Test
  void statusGauges_areRecomputedAtMostOncePerMaximumAge() {
    root.put("m/LATE", new PutSecretRequest("v1", null, null, null, null));
    Scrape first = Scrape.of(server);

    root.putRule("m/LATE", rule(null, "2026-10-01"));
    Scrape cached = Scrape.of(server);
    clock.advance(KeyturnServer.STATUS_GAUGES_MAX_AGE);
    Scrape refreshed = Scrape.of(server);

    assertThat(first.value("keyturn_secrets{state=\"no_rule\"}")).isEqualTo(1);
    assertThat(cached.value("keyturn_secrets{state=\"no_rule\"}"))
        .as("served from the last board")
        .isEqualTo(1);
    assertThat(cached.value("keyturn_status_refresh_seconds_count")).isEqualTo(1);
    assertThat(refreshed.value("keyturn_secrets{state=\"overdue\"}")).isEqualTo(1);
    assertThat(refreshed.value("keyturn_secrets{state=\"no_rule\"}")).isZero();
    assertThat(refreshed.value("keyturn_status_refresh_seconds_count")).isEqualTo(2);
  }

  @Test
  void jvmAndProcessMetrics_arePresentWithPlausibleValues() {
    Scrape scrape = Scrape.of(server);

    assertThat(scrape.value("jvm_threads_live_threads")).isGreaterThan(1);
    assertThat(scrape.value("jvm_classes_loaded_classes")).isGreaterThan(1000);
    assertThat(scrape.value("process_uptime_seconds")).isPositive();
    assertThat(scrape.value("process_files_open_files")).isPositive();
    assertThat(scrape.names())
        .contains(
            "jvm_memory_used_bytes",
            "jvm_memory_max_bytes",
            "jvm_gc_memory_allocated_bytes_total",
            "process_cpu_usage",
            "process_start_time_seconds",
            "process_files_max_files");
  }

  @Test
  void metrics_needNoToken_andAWrongTokenIsNeitherCheckedNorThrottled() {
    String valid = server.token("read:nothing/here");

    for (int i = 0; i < 15; i++) {
      RunningServer.Raw r = server.raw("GET", "/metrics", "kt_" + CANARY + i, null);
      assertThat(r.status()).isEqualTo(200);
    }
    RunningServer.Raw withValid = server.raw("GET", "/metrics", valid, null);
    RunningServer.Raw malformed =
        server.raw("GET", "/metrics", null, null, "Authorization: Basic " + CANARY + "\r\n");
    RunningServer.Raw after = server.raw("GET", "/v1/whoami", valid, null);

    assertThat(withValid.status()).isEqualTo(200);
    assertThat(malformed.status()).isEqualTo(200);
    assertThat(after.status()).as("wrong tokens on /metrics cost no throttle").isEqualTo(200);
    assertThat(malformed.body()).doesNotContain(CANARY).doesNotContain(valid);
    assertThat(Scrape.parse(malformed.body()).value("keyturn_auth_throttled_total")).isZero();
  }

  @Test
  void alertRules_useOnlyMetricsThatARealScrapeHas() throws Exception {
    Path rules = Path.of("..", "docs", "prometheus", "keyturn-alerts.yml");
    JsonNode groups = new YAMLMapper().readTree(Files.readString(rules)).path("groups");
    Set<String> used = new TreeSet<>();
    Pattern name = Pattern.compile("\\b(?:keyturn|jvm|process)_[a-z0-9_]+");
    for (JsonNode group : groups) {
      for (JsonNode rule : group.path("rules")) {
        Matcher m = name.matcher(rule.path("expr").asString("") + rule.path("annotations"));
        while (m.find()) {
          used.add(m.group());
        }
      }
    }
    root.whoami();
    Scrape scrape = Scrape.of(server);

    assertThat(used).as("metrics the rules use").hasSizeGreaterThan(5);
    assertThat(scrape.names()).containsAll(used);
    String operations = Files.readString(Path.of("..", "docs", "operations.md"));
    String file = Files.readString(rules);
    assertThat(operations)
        .as("docs/operations.md quotes the rules as checked in")
        .contains(file.substring(file.indexOf("groups:")));
  }

  @Test
  void operationsDoc_namesOnlyMetricsThatARealScrapeHas() throws Exception {
    String operations = Files.readString(Path.of("..", "docs", "operations.md"));
    Set<String> named = new TreeSet<>();
    Matcher m =
        Pattern.compile("`((?:keyturn|jvm|process|system)_[a-z0-9_]+)`").matcher(operations);
    while (m.find()) {
      named.add(m.group(1));
    }
    System.gc(); // so that a GC pause has been recorded
    Eventually.waitFor(
        Duration.ofSeconds(15),
        () -> Scrape.of(server).names().contains("jvm_gc_pause_seconds_count"));
    root.whoami();
    Scrape scrape = Scrape.of(server);

    assertThat(named).hasSizeGreaterThan(20);
    assertThat(named)
        .allSatisfy(n ->
            assertThat(scrape.names())
                .as("a metric docs/operations.md names")
                .anyMatch(s -> s.equals(n) || s.startsWith(n + "_")));
  }
}
