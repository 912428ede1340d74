package dev.keyturn.core;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The stored forms of rules and checklists. A rule is stored as one document: a tree of maps,
 * lists, strings, booleans and integers that a store writes as JSON (core needs no JSON library),
 * holding every component of {@link RotationRule}, so what is read back equals what was stored.
 * Durations are ISO-8601 ({@code PT24H}), instants RFC 3339. Rules hold no secret values (admin
 * credentials and signing keys are named, not copied).
 *
 * <p>Document format 1: {@code {"format": 1, "generate", "schedule": {"every" | "cron", "window",
 * "timezone"}, "grace", "strategy", "propagation", "target": {"type", "settings": {}}, "owner",
 * "purpose", "impact", "attempts", "backoff", "hooks": [{"phase", "type", "check", "settings":
 * {}}], "last_rotated": {"version", "at"}, "catch_up", "set_by_global_admin", "jwks"}}; {@code
 * schedule} and {@code last_rotated} are absent when the rule has none; a document without {@code
 * set_by_global_admin} (written before it existed) reads as set by a scoped admin; {@code jwks} is
 * {@code "public"} or {@code "none"}, and absent (written before it existed) reads as none; {@code
 * consumer_deadline} (a duration) and {@code propagation_waits_for} ({@code "consumers"}) are
 * written only when set.
 */
public final class RuleCodec {
  /** The document format this code writes and reads. */
  public static final int FORMAT = 1;

  private static final String TARGET = "target.";

  private RuleCodec() {}

  /** The rule as a document; the secret's name is not part of it (stores key rules by name). */
  public static Map<String, Object> toDocument(RotationRule rule) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("format", FORMAT);
    out.put("generate", rule.generator().spec());
    rule.schedule().ifPresent(s -> out.put("schedule", schedule(s)));
    out.put("grace", rule.grace().toString());
    out.put("strategy", rule.strategy().wireName());
    out.put("propagation", rule.propagation().toString());
    out.put("target", Map.of("type", rule.targetType(), "settings", Map.copyOf(rule.target())));
    out.put("owner", rule.owner());
    out.put("purpose", rule.purpose());
    out.put("impact", rule.impact());
    out.put("attempts", rule.attempts());
    out.put("backoff", rule.backoff().toString());
    List<Object> hooks = new ArrayList<>();
    for (HookSpec h : rule.hooks()) {
      Map<String, Object> hook = new LinkedHashMap<>();
      hook.put("phase", h.phase().wireName());
      hook.put("type", h.type());
      hook.put("check", h.check());
      hook.put("settings", Map.copyOf(h.settings()));
      hooks.add(hook);
    }
    out.put("hooks", hooks);
    rule.lastRotated()
        .ifPresent(
            l -> out.put("last_rotated", Map.of("version", l.version(), "at", l.at().toString())));
    out.put("catch_up", rule.catchUp());
    out.put("set_by_global_admin", rule.setByGlobalAdmin());
    out.put("jwks", rule.publishJwks() ? "public" : "none");
    // Written only when set, so that documents of rules without them stay as they were.
    rule.consumerDeadline().ifPresent(d -> out.put("consumer_deadline", d.toString()));
    if (rule.propagationWaitsForConsumers()) {
      out.put("propagation_waits_for", "consumers");
    }
    return out;
  }

  private static boolean waitsFor(SecretName secret, Object value) {
    if (value == null) {
      return false;
    }
    if ("consumers".equals(value)) {
      return true;
    }
    throw bad(secret, "propagation_waits_for");
  }

  private static boolean jwks(SecretName secret, String value) {
    return switch (value) {
      case "public" -> true;
      case "none" -> false;
      default -> throw bad(secret, "jwks");
    };
  }

  /**
   * Reads a document written by {@link #toDocument}.
   *
   * @throws KeyturnException.InvalidInput if it is not a rule document of a known format
   */
  public static RotationRule fromDocument(SecretName secret, Map<String, ?> doc) {
    Object format = doc.get("format");
    if (!(format instanceof Number n) || n.intValue() != FORMAT) {
      throw bad(secret, "format");
    }
    Map<String, ?> target = map(secret, doc, "target");
    List<HookSpec> hooks = new ArrayList<>();
    for (Object h : list(secret, doc, "hooks")) {
      if (!(h instanceof Map<?, ?> raw)) {
        throw bad(secret, "hooks");
      }
      @SuppressWarnings("unchecked")
      Map<String, ?> hook = (Map<String, ?>) raw;
      hooks.add(
          new HookSpec(
              HookSpec.Phase.fromWire(text(secret, hook, "phase")),
              text(secret, hook, "type"),
              flag(secret, hook, "check"),
              strings(secret, map(secret, hook, "settings"))));
    }
    Optional<RotationRule.LastRotated> lastRotated =
        doc.get("last_rotated") == null
            ? Optional.empty()
            : Optional.of(lastRotated(secret, map(secret, doc, "last_rotated")));
    return RotationRule.builder(secret)
        .generator(Generator.parse(text(secret, doc, "generate")))
        .schedule(
            doc.get("schedule") == null
                ? Optional.empty()
                : Optional.of(schedule(secret, map(secret, doc, "schedule"))))
        .grace(duration(secret, doc, "grace"))
        .strategy(Strategy.fromWire(text(secret, doc, "strategy")))
        .propagation(duration(secret, doc, "propagation"))
        .targetType(text(secret, target, "type"))
        .target(strings(secret, map(secret, target, "settings")))
        .owner(text(secret, doc, "owner"))
        .purpose(text(secret, doc, "purpose"))
        .impact(text(secret, doc, "impact"))
        .attempts(number(secret, doc, "attempts"))
        .backoff(duration(secret, doc, "backoff"))
        .hooks(hooks)
        .lastRotated(lastRotated)
        .catchUp(flag(secret, doc, "catch_up"))
        .setByGlobalAdmin(
            doc.get("set_by_global_admin") != null && flag(secret, doc, "set_by_global_admin"))
        .publishJwks(doc.get("jwks") != null && jwks(secret, text(secret, doc, "jwks")))
        .consumerDeadline(
            doc.get("consumer_deadline") == null
                ? Optional.empty()
                : Optional.of(duration(secret, doc, "consumer_deadline")))
        .propagationWaitsForConsumers(waitsFor(secret, doc.get("propagation_waits_for")))
        .build();
  }

  private static Map<String, Object> schedule(Schedule s) {
    Map<String, Object> out = new LinkedHashMap<>();
    s.every().ifPresent(e -> out.put("every", e));
    s.cron().ifPresent(c -> out.put("cron", c));
    s.window().ifPresent(w -> out.put("window", w));
    out.put("timezone", s.zone().getId());
    return out;
  }

  private static Schedule schedule(SecretName secret, Map<String, ?> s) {
    return new Schedule(
        optionalText(secret, s, "every"),
        optionalText(secret, s, "cron"),
        optionalText(secret, s, "window"),
        Schedule.zone(text(secret, s, "timezone")));
  }

  private static RotationRule.LastRotated lastRotated(SecretName secret, Map<String, ?> l) {
    try {
      return new RotationRule.LastRotated(
          number(secret, l, "version"), Instant.parse(text(secret, l, "at")));
    } catch (java.time.format.DateTimeParseException e) {
      throw bad(secret, "last_rotated");
    }
  }

  /**
   * Reads a rule in the {@code key=value} form that stores wrote before rule documents (format 0),
   * for the migration that converts them.
   */
  public static RotationRule decodeLegacy(SecretName secret, String text) {
    Map<String, String> in = parse(text);
    Map<String, String> target = new LinkedHashMap<>();
    in.forEach((k, v) -> {
      if (k.startsWith(TARGET)) {
        target.put(k.substring(TARGET.length()), v);
      }
    });
    Optional<Schedule> schedule =
        in.containsKey("every") || in.containsKey("cron")
            ? Optional.of(
                new Schedule(
                    Optional.ofNullable(in.get("every")),
                    Optional.ofNullable(in.get("cron")),
                    Optional.ofNullable(in.get("window")),
                    Schedule.zone(in.getOrDefault("timezone", "UTC"))))
            : Optional.empty();
    return RotationRule.builder(secret)
        .generator(Generator.parse(in.get("generate")))
        .schedule(schedule)
        .grace(Durations.parse(in.get("grace")))
        .strategy(Strategy.fromWire(in.get("strategy")))
        .propagation(Durations.parse(in.get("propagation")))
        .targetType(in.get("target"))
        .target(target)
        .owner(in.getOrDefault("owner", ""))
        .purpose(in.getOrDefault("purpose", ""))
        .impact(in.getOrDefault("impact", ""))
        .attempts(Integer.parseInt(in.get("attempts")))
        .backoff(Durations.parse(in.get("backoff")))
        .hooks(legacyHooks(in))
        .build();
  }

  private static List<HookSpec> legacyHooks(Map<String, String> in) {
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

  private static String text(SecretName secret, Map<String, ?> in, String key) {
    if (in.get(key) instanceof String s) {
      return s;
    }
    throw bad(secret, key);
  }

  private static Optional<String> optionalText(SecretName secret, Map<String, ?> in, String key) {
    return in.get(key) == null ? Optional.empty() : Optional.of(text(secret, in, key));
  }

  private static boolean flag(SecretName secret, Map<String, ?> in, String key) {
    if (in.get(key) instanceof Boolean b) {
      return b;
    }
    throw bad(secret, key);
  }

  private static int number(SecretName secret, Map<String, ?> in, String key) {
    if (in.get(key) instanceof Number n && n.longValue() == n.intValue()) {
      return n.intValue();
    }
    throw bad(secret, key);
  }

  private static Duration duration(SecretName secret, Map<String, ?> in, String key) {
    try {
      return Duration.parse(text(secret, in, key));
    } catch (java.time.format.DateTimeParseException e) {
      throw bad(secret, key);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> map(SecretName secret, Map<String, ?> in, String key) {
    if (in.get(key) instanceof Map<?, ?> m) {
      return (Map<String, ?>) m;
    }
    throw bad(secret, key);
  }

  private static List<?> list(SecretName secret, Map<String, ?> in, String key) {
    if (in.get(key) instanceof List<?> l) {
      return l;
    }
    throw bad(secret, key);
  }

  private static Map<String, String> strings(SecretName secret, Map<String, ?> in) {
    Map<String, String> out = new LinkedHashMap<>();
    in.forEach((k, v) -> out.put(k, text(secret, in, k)));
    return out;
  }

  private static KeyturnException bad(SecretName secret, String field) {
    return new KeyturnException.InvalidInput(
        "the stored rule of " + secret + " has no valid '" + field + "'");
  }
}
