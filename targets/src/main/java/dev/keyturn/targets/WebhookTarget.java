package dev.keyturn.targets;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * Target {@code webhook}: POSTs the value to your endpoint, signed. Settings: {@code url} (set and
 * rollback), {@code test-url} (optional: a test call; without it a retried set cannot be skipped),
 * {@code signing-secret} (the name of a Keyturn secret whose value is the HMAC key; the rule's
 * author needs {@code read} on it).
 *
 * <p>The body is JSON: {@code {"secret", "version", "phase", "value"}} with phase {@code set},
 * {@code test} or {@code rollback}. Headers {@code X-Keyturn-Timestamp} and {@code
 * X-Keyturn-Signature: sha256=<hex>} sign {@code timestamp + "." + body} (see {@link
 * dev.keyturn.core.crypto.Signatures}); receivers should refuse a timestamp more than 5 minutes
 * off. Any 2xx answer is success; the answer's body is ignored and never logged. The URLs must be
 * ones the operator's outbound policy allows, unless the rule was set by an {@code admin:*} token
 * ({@link HttpCall}).
 */
public final class WebhookTarget implements Target {
  public static final String TYPE = "webhook";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Clock clock;

  public WebhookTarget(Clock clock) {
    this.clock = clock;
  }

  @Override
  public java.util.Map<String, String> destinations(RotationRule rule) {
    java.util.Map<String, String> hosts = new java.util.LinkedHashMap<>();
    for (String key : java.util.List.of("url", "test-url")) {
      String url = rule.target().get(key);
      if (url != null) {
        hosts.put(key, HttpCall.url(url, "target setting '" + key + "'").getHost());
      }
    }
    return hosts;
  }

  @Override
  public void validate(
      dev.keyturn.core.RotationRule rule,
      java.util.function.Function<dev.keyturn.core.SecretName, dev.keyturn.core.SecretValue>
          secrets) {
    Target.super.validate(rule, secrets);
    dev.keyturn.core.SettingChecks checks =
        dev.keyturn.core.SettingChecks.target(rule)
            .only("url", "test-url", "signing-secret")
            .httpUrl("url")
            .httpUrl("test-url")
            .secretName("signing-secret");
    checks.required("url");
    checks.required("signing-secret");
  }

  @Override
  public void set(TargetContext context) {
    call(context, context.setting("url"), "set", context.pending());
  }

  @Override
  public void test(TargetContext context) {
    String url = context.rule().target().get("test-url");
    if (url != null && !url.isBlank()) {
      call(context, url, "test", context.pending());
    }
  }

  @Override
  public boolean canTell(TargetContext context) {
    String url = context.rule().target().get("test-url");
    return url != null && !url.isBlank();
  }

  @Override
  public void rollback(TargetContext context) {
    if (context.current().isPresent()) {
      call(context, context.setting("url"), "rollback", context.current().get());
    }
  }

  private void call(TargetContext context, String url, String phase, SecretValue value) {
    URI uri = HttpCall.url(url, "webhook url");
    SecretValue key = context.secrets().apply(SecretName.of(context.setting("signing-secret")));
    byte[] keyBytes = key.plaintext().reveal();
    byte[] body = body(context, phase, value);
    try {
      int status =
          HttpCall.send(
              "POST",
              uri,
              body,
              Optional.of(keyBytes),
              clock.instant().getEpochSecond(),
              TIMEOUT,
              context.outbound());
      if (status / 100 != 2) {
        throw new KeyturnException.TargetFailure(phase + " webhook failed (HTTP " + status + ")");
      }
    } catch (KeyturnException.TargetFailure e) {
      throw e.getMessage().startsWith(phase)
          ? e
          : new KeyturnException.TargetFailure(phase + " webhook " + e.getMessage());
    } finally {
      Arrays.fill(keyBytes, (byte) 0);
      Arrays.fill(body, (byte) 0);
    }
  }

  private static byte[] body(TargetContext context, String phase, SecretValue value) {
    String text = new String(value.plaintext().reveal(), StandardCharsets.UTF_8);
    String json =
        "{\"secret\":"
            + quote(context.rotation().secret().value())
            + ",\"version\":"
            + value.version().number()
            + ",\"phase\":"
            + quote(phase)
            + ",\"value\":"
            + quote(text)
            + "}";
    return json.getBytes(StandardCharsets.UTF_8);
  }

  /** A JSON string literal (RFC 8259 escaping). */
  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
