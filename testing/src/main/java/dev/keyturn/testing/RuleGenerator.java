package dev.keyturn.testing;

import dev.keyturn.core.Generator;
import dev.keyturn.core.HookSpec;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Strategy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * Rules that cover every component of {@link RotationRule} with several values each: every schedule
 * kind ({@code every} durations, calendar {@code mo} and {@code y}, {@code cron}), each with and
 * without a window and in UTC and other time zones; every target with its settings; hooks of every
 * type and phase; hostile text (quotes, {@code ;}, CR/LF, NUL, {@code %}, {@code =}, non-ASCII).
 * Each component is varied by one axis below; {@link #rules} fails loudly when {@code RotationRule}
 * has a component that no axis varies, so a field added later cannot go unstored.
 */
public final class RuleGenerator {
  private static final String HOSTILE =
      "O'Brien \"x\"; DROP TABLE rules;-- %41 a=b&c\r\n\u0000 ☃🔑";

  /** Components an axis sets, and the values it sets them to. */
  private record Axis(
      Set<String> components, List<BiConsumer<RotationRule.Builder, Integer>> values) {
    static Axis of(String component, List<?> values, Setter setter) {
      List<BiConsumer<RotationRule.Builder, Integer>> out = new ArrayList<>();
      for (Object v : values) {
        out.add((b, i) -> setter.set(b, v));
      }
      return new Axis(Set.of(component), out);
    }
  }

  private interface Setter {
    void set(RotationRule.Builder b, Object value);
  }

  private RuleGenerator() {}

  /** Every schedule kind, with and without windows, in several zones; and no schedule. */
  public static List<Optional<Schedule>> schedules() {
    List<Optional<Schedule>> out = new ArrayList<>();
    out.add(Optional.empty());
    List<String[]> kinds =
        List.of(
            new String[] {"90d", null},
            new String[] {"12h", null},
            new String[] {"1h30m", null},
            new String[] {"3mo", null},
            new String[] {"1y", null},
            new String[] {null, "0 3 * * SUN"},
            new String[] {null, "*/15 2-4 1,15 JAN-JUN MON-FRI"});
    List<String> windows = Arrays.asList(null, "Sun 02:00-04:00", "Mon-Fri 22:00-23:30");
    List<String> zones = List.of("UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata");
    for (String[] kind : kinds) {
      for (String window : windows) {
        for (String zone : zones) {
          out.add(
              Optional.of(
                  new Schedule(
                      Optional.ofNullable(kind[0]),
                      Optional.ofNullable(kind[1]),
                      Optional.ofNullable(window),
                      ZoneId.of(zone))));
        }
      }
    }
    return out;
  }

  /** Every target type this project has, with every setting each one reads. */
  public static List<Map.Entry<String, Map<String, String>>> targets() {
    return List.of(
        Map.entry("none", Map.of()),
        Map.entry(
            "command",
            Map.of(
                "set-command", "install -m 600 /dev/stdin '/etc/app/a b' && echo \"$X\"; exit 0",
                "test-command", "cmp -s - /etc/app/key",
                "timeout", "5m")),
        Map.entry(
            "webhook",
            Map.of(
                "url", "https://hooks.example.com/set?a=1&b=%20",
                "test-url", "https://hooks.example.com/test",
                "signing-secret", "ops/WEBHOOK_SIGNING_KEY")),
        Map.entry(
            "smtp",
            Map.of(
                "host", "smtp.example.com",
                "port", "465",
                "username", "app@example.com",
                "security", "tls",
                "timeout-seconds", "20")),
        Map.entry(
            "postgresql",
            Map.of(
                "admin", "ops/PG_ADMIN",
                "username", "app",
                "alt-username", "app_b",
                "owner-role", "app_owner",
                "timeout-seconds", "10")),
        Map.entry(
            "mariadb",
            Map.of(
                "admin", "ops/MARIADB_ADMIN",
                "username", "app",
                "alt-username", "app_b",
                "owner-role", "app_owner",
                "password-hash", "server")),
        Map.entry(
            "redis",
            Map.of("admin", "ops/REDIS_ADMIN", "persist", "acl-save", "timeout-seconds", "5")),
        Map.entry("custom", Map.of("dotted.key", HOSTILE, "=", "", "empty", "")));
  }

  /** Hook lists: none, each type at each phase, checks and plain hooks, hostile settings. */
  public static List<List<HookSpec>> hooks() {
    HookSpec command =
        new HookSpec(
            HookSpec.Phase.AFTER_SET,
            "command",
            false,
            Map.of("command", "systemctl reload gunicorn; echo 'done'", "timeout", "30s"));
    HookSpec http =
        new HookSpec(
            HookSpec.Phase.AFTER_SET,
            "http",
            true,
            Map.of(
                "url", "http://127.0.0.1:8000/health",
                "method", "GET",
                "signing-secret", "ops/HOOK_KEY"));
    HookSpec sql =
        new HookSpec(
            HookSpec.Phase.AFTER_FINISH,
            "sql",
            false,
            Map.of(
                "url-secret", "app/production/APP_DB_URL",
                "statement", "DELETE FROM magic_links WHERE note = 'x;y'\n",
                "backup", "true"));
    HookSpec failure =
        new HookSpec(
            HookSpec.Phase.ON_FAILURE, "http", false, Map.of("url", "https://x/?q=" + HOSTILE));
    HookSpec finishCheck =
        new HookSpec(HookSpec.Phase.AFTER_FINISH, "command", true, Map.of("command", "true"));
    return List.of(
        List.of(),
        List.of(command),
        List.of(http, sql),
        List.of(command, http, sql, failure, finishCheck),
        List.of(failure),
        List.of(new HookSpec(HookSpec.Phase.AFTER_SET, "sql", true, Map.of())));
  }

  private static List<Axis> axes() {
    List<BiConsumer<RotationRule.Builder, Integer>> generators = new ArrayList<>();
    for (String[] pair :
        List.of(
            new String[] {"hex:32", "overlap", "none"},
            new String[] {"manual", "manual", "none"},
            new String[] {"password:24:exclude='\"\\", "single-user", "none"},
            new String[] {"base64url:24", "alternating-users", "none"},
            new String[] {"django", "overlap", "none"},
            new String[] {"rsa:2048", "overlap", "public"},
            new String[] {"fernet", "single-user", "none"},
            new String[] {"ec:p384", "overlap", "none"},
            new String[] {"ed25519", "overlap", "public"})) {
      generators.add((b, i) ->
          b.generator(Generator.parse(pair[0]))
              .strategy(Strategy.fromWire(pair[1]))
              .publishJwks(pair[2].equals("public")));
    }
    List<BiConsumer<RotationRule.Builder, Integer>> targets = new ArrayList<>();
    for (Map.Entry<String, Map<String, String>> t : targets()) {
      targets.add((b, i) -> b.targetType(t.getKey()).target(t.getValue()));
    }
    List<Duration> durations =
        List.of(
            Duration.ZERO,
            Duration.ofHours(24),
            Duration.ofMillis(1500),
            Duration.ofDays(36_500),
            Duration.ofNanos(1),
            Duration.ofSeconds(5_400));
    List<String> texts = List.of("", "devops", HOSTILE, "ünïcödé ☃", "line1\nline2\r\n");
    return List.of(
        Axis.of("schedule", schedules(), (b, v) -> b.schedule(cast(v))),
        new Axis(Set.of("generator", "strategy", "publishJwks"), generators),
        Axis.of("grace", durations, (b, v) -> b.grace((Duration) v)),
        new Axis(
            Set.of("propagation", "propagationWaitsForConsumers"),
            List.of(
                (b, i) -> b.propagation(Duration.ofSeconds(5_400)),
                (b, i) -> b.propagation(Duration.ofMinutes(10)).propagationWaitsForConsumers(true),
                (b, i) -> b.propagation(Duration.ZERO),
                (b, i) -> b.propagation(Duration.ofNanos(1)).propagationWaitsForConsumers(true),
                (b, i) -> b.propagation(Duration.ofDays(36_500)),
                (b, i) -> b.propagation(Duration.ofMillis(1500)))),
        Axis.of(
            "consumerDeadline",
            List.of(
                Optional.empty(),
                Optional.of(Duration.ofHours(2)),
                Optional.of(Duration.ZERO),
                Optional.of(Duration.ofMillis(1500))),
            (b, v) -> b.consumerDeadline(cast(v))),
        new Axis(Set.of("targetType", "target"), targets),
        Axis.of("owner", texts, (b, v) -> b.owner((String) v)),
        Axis.of("purpose", texts.reversed(), (b, v) -> b.purpose((String) v)),
        Axis.of("impact", texts, (b, v) -> b.impact(v + "!")),
        Axis.of("attempts", List.of(1, 5, 20, 7), (b, v) -> b.attempts((Integer) v)),
        Axis.of("backoff", durations, (b, v) -> b.backoff((Duration) v)),
        Axis.of("hooks", hooks(), (b, v) -> b.hooks(cast(v))),
        Axis.of(
            "lastRotated",
            List.of(
                Optional.empty(),
                Optional.of(new RotationRule.LastRotated(1, Instant.parse("2026-08-01T00:00:00Z"))),
                Optional.of(
                    new RotationRule.LastRotated(
                        7, Instant.parse("2026-08-01T10:11:12.123456789Z")))),
            (b, v) -> b.lastRotated(cast(v))),
        Axis.of("catchUp", List.of(false, true, true), (b, v) -> b.catchUp((Boolean) v)),
        Axis.of(
            "setByGlobalAdmin",
            List.of(true, false, false, true),
            (b, v) -> b.setByGlobalAdmin((Boolean) v)),
        // The secret is the name the rule is stored under; it varies by rule.
        new Axis(Set.of("secret"), List.of((b, i) -> {})));
  }

  /**
   * As many rules as the largest axis has values; rule {@code i} takes value {@code i} of each axis
   * (cycling), so every value of every axis appears at least once. Rule {@code i} is for the secret
   * {@code prefix + "rule-" + i}.
   *
   * @throws AssertionError if {@code RotationRule} has a component no axis varies
   */
  public static List<RotationRule> rules(String prefix) {
    List<Axis> axes = axes();
    Set<String> components =
        Arrays.stream(RotationRule.class.getRecordComponents())
            .map(c -> c.getName())
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> covered = new TreeSet<>();
    axes.forEach(a -> covered.addAll(a.components()));
    if (!covered.equals(components)) {
      Set<String> missing = new TreeSet<>(components);
      missing.removeAll(covered);
      throw new AssertionError(
          "RotationRule has components that RuleGenerator does not vary: "
              + missing
              + " (give each values in RuleGenerator.axes() and store it in RuleCodec)");
    }
    int n = axes.stream().mapToInt(a -> a.values().size()).max().orElseThrow();
    List<RotationRule> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RotationRule.Builder b = RotationRule.builder(SecretName.of(prefix + "rule-" + i));
      for (Axis axis : axes) {
        axis.values().get(i % axis.values().size()).accept(b, i);
      }
      out.add(b.build());
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object value) {
    return (T) value;
  }
}
