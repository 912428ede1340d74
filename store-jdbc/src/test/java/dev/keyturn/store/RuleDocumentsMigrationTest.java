package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Durations;
import dev.keyturn.core.HookSpec;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.spi.RotationStore.RuleEntry;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.RuleGenerator;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store made by the code before rule documents (schema 4, rules in {@code key=value} form) opened
 * by this code: every rule, cron and window included, reads back whole, and is stored as a JSON
 * document.
 */
class RuleDocumentsMigrationTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  @TempDir Path dir;

  @Test
  void open_storeWithKeyValueRules_convertsEveryRuleWhole() throws Exception {
    String url = "jdbc:sqlite:" + dir.resolve("keyturn.db");
    Flyway.configure()
        .dataSource(url, null, null)
        .locations("classpath:db/migration/sqlite")
        .target("4")
        .load()
        .migrate();
    List<RotationRule> rules = new ArrayList<>();
    for (RotationRule r : RuleGenerator.rules("old/")) {
      // What the old form could hold: whole seconds, no '=' in a setting's name, no adoption
      // time, no catch-up, no author's scope (such rules read as set by a scoped admin), no JWKS,
      // no consumer deadline or consumer propagation.
      Map<String, String> target = new LinkedHashMap<>(r.target());
      target.keySet().removeIf(k -> k.contains("="));
      rules.add(
          r.toBuilder()
              .target(target)
              .grace(whole(r.grace()))
              .propagation(whole(r.propagation()))
              .propagationWaitsForConsumers(false)
              .consumerDeadline(Optional.empty())
              .backoff(whole(r.backoff()))
              .lastRotated(Optional.empty())
              .catchUp(false)
              .setByGlobalAdmin(false)
              .publishJwks(false)
              .build());
    }
    try (Connection c = DriverManager.getConnection(url);
        PreparedStatement ps =
            c.prepareStatement("INSERT INTO rules (secret, body, next_due) VALUES (?, ?, ?)")) {
      for (int i = 0; i < rules.size(); i++) {
        ps.setString(1, rules.get(i).secret().value());
        ps.setString(2, legacyEncode(rules.get(i)));
        ps.setLong(3, T0.plusSeconds(i).toEpochMilli());
        ps.executeUpdate();
      }
    }

    try (JdbcStore store = JdbcStore.open(url, new FixedClock(T0))) {
      for (int i = 0; i < rules.size(); i++) {
        Optional<Instant> due = Optional.of(T0.plusSeconds(i));
        assertThat(store.rotations().rule(rules.get(i).secret()))
            .as(rules.get(i).secret().value())
            .contains(new RuleEntry(rules.get(i), due, due));
      }
    }
    assertThat(rules.stream().filter(r -> r.schedule().flatMap(Schedule::cron).isPresent()))
        .isNotEmpty();
    assertThat(rules.stream().filter(r -> r.schedule().flatMap(Schedule::window).isPresent()))
        .isNotEmpty();
    try (Connection c = DriverManager.getConnection(url);
        ResultSet rs = c.createStatement().executeQuery("SELECT body FROM rules")) {
      while (rs.next()) {
        assertThat(rs.getString(1)).startsWith("{\"format\":1,");
      }
    }
  }

  private static Duration whole(Duration d) {
    return Duration.ofSeconds(d.toSeconds());
  }

  /** Verbatim the stored form written by RuleCodec.encode before schema 6 (commit ef261fb). */
  private static String legacyEncode(RotationRule rule) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("generate", rule.generator().spec());
    rule.schedule()
        .ifPresent(s -> {
          s.every().ifPresent(e -> out.put("every", e));
          s.cron().ifPresent(c -> out.put("cron", c));
          s.window().ifPresent(w -> out.put("window", w));
          out.put("timezone", s.zone().getId());
        });
    out.put("grace", Durations.format(rule.grace()));
    out.put("strategy", rule.strategy().wireName());
    out.put("propagation", Durations.format(rule.propagation()));
    out.put("target", rule.targetType());
    rule.target().forEach((k, v) -> out.put("target." + k, v));
    out.put("owner", rule.owner());
    out.put("purpose", rule.purpose());
    out.put("impact", rule.impact());
    out.put("attempts", Integer.toString(rule.attempts()));
    out.put("backoff", Durations.format(rule.backoff()));
    for (int i = 0; i < rule.hooks().size(); i++) {
      HookSpec h = rule.hooks().get(i);
      out.put("hook." + i + ".phase", h.phase().wireName());
      out.put("hook." + i + ".type", h.type());
      out.put("hook." + i + ".check", Boolean.toString(h.check()));
      for (Map.Entry<String, String> e : h.settings().entrySet()) {
        out.put("hook." + i + ".set." + e.getKey(), e.getValue());
      }
    }
    StringBuilder text = new StringBuilder();
    out.forEach((k, v) ->
        text.append(k)
            .append('=')
            .append(v.isEmpty() ? "%" : URLEncoder.encode(v, StandardCharsets.UTF_8))
            .append('\n'));
    return text.toString();
  }
}
