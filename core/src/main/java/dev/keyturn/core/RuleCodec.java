package dev.keyturn.core;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The stored form of rules and checklists: {@code key=value} lines, values percent-encoded, so
 * stores need no JSON library and no column per setting. Rules hold no secret values (admin
 * credentials and signing keys are named, not copied).
 */
public final class RuleCodec {
  private static final String TARGET = "target.";

  private RuleCodec() {}

  public static String encode(RotationRule rule) {
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
    rule.target().forEach((k, v) -> out.put(TARGET + k, v));
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
    return lines(out);
  }

  public static RotationRule decode(SecretName secret, String text) {
    Map<String, String> in = parse(text);
    Map<String, String> target = new LinkedHashMap<>();
    in.forEach((k, v) -> {
      if (k.startsWith(TARGET)) {
        target.put(k.substring(TARGET.length()), v);
      }
    });
    Optional<Schedule> schedule =
        Optional.ofNullable(in.get("every"))
            .map(e -> Schedule.of(e, in.getOrDefault("timezone", "UTC")));
    return new RotationRule(
        secret,
        Generator.parse(in.get("generate")),
        schedule,
        Durations.parse(in.get("grace")),
        Strategy.fromWire(in.get("strategy")),
        Durations.parse(in.get("propagation")),
        in.get("target"),
        target,
        in.getOrDefault("owner", ""),
        in.getOrDefault("purpose", ""),
        in.getOrDefault("impact", ""),
        Integer.parseInt(in.get("attempts")),
        Durations.parse(in.get("backoff")),
        hooks(in));
  }

  private static List<HookSpec> hooks(Map<String, String> in) {
    List<HookSpec> hooks = new ArrayList<>();
    for (int i = 0; in.containsKey("hook." + i + ".phase"); i++) {
      String prefix = "hook." + i + ".set.";
      Map<String, String> settings = new LinkedHashMap<>();
      in.forEach((k, v) -> {
        if (k.startsWith(prefix)) {
          settings.put(k.substring(prefix.length()), v);
        }
      });
      hooks.add(
          new HookSpec(
              HookSpec.Phase.fromWire(in.get("hook." + i + ".phase")),
              in.get("hook." + i + ".type"),
              Boolean.parseBoolean(in.get("hook." + i + ".check")),
              settings));
    }
    return hooks;
  }

  public static String encodeChecklist(List<Rotation.CheckResult> checks) {
    StringBuilder out = new StringBuilder();
    for (Rotation.CheckResult c : checks) {
      out.append(enc(c.name()))
          .append(' ')
          .append(c.ok())
          .append(' ')
          .append(c.millis())
          .append(' ')
          .append(enc(c.message()))
          .append('\n');
    }
    return out.toString();
  }

  public static List<Rotation.CheckResult> decodeChecklist(String text) {
    List<Rotation.CheckResult> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split(" ", -1);
      out.add(
          new Rotation.CheckResult(
              dec(f[0]), Boolean.parseBoolean(f[1]), Long.parseLong(f[2]), dec(f[3])));
    }
    return out;
  }

  private static String lines(Map<String, String> values) {
    StringBuilder out = new StringBuilder();
    values.forEach((k, v) -> out.append(k).append('=').append(enc(v)).append('\n'));
    return out.toString();
  }

  private static Map<String, String> parse(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        out.put(line.substring(0, eq), dec(line.substring(eq + 1)));
      }
    }
    return out;
  }

  private static String enc(String s) {
    return s.isEmpty() ? "%" : URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String dec(String s) {
    return s.equals("%") ? "" : URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
