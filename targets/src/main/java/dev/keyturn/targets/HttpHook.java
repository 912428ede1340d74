package dev.keyturn.targets;

import dev.keyturn.core.HookSpec;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.spi.Hook;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;

/**
 * Hook {@code http}: calls {@code url}. A check defaults to {@code GET} and needs status 200 (a
 * health check); a hook defaults to {@code POST} with {@code {"secret", "version", "phase",
 * "rotation"}} (never a value) and accepts any 2xx. With {@code signing-secret} the call is signed
 * like the webhook target. Settings: {@code url}, {@code method}, {@code signing-secret}. The URL
 * must be one the operator's outbound policy allows, unless the rule was set by an {@code admin:*}
 * token ({@link HttpCall}).
 */
public final class HttpHook implements Hook {
  public static final String TYPE = "http";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Clock clock;

  public HttpHook(Clock clock) {
    this.clock = clock;
  }

  @Override
  public java.util.Map<String, String> destinations(HookSpec hook) {
    String url = hook.settings().get("url");
    return url == null
        ? java.util.Map.of()
        : java.util.Map.of("url", HttpCall.url(url, "an http hook's 'url'").getHost());
  }

  @Override
  public void validate(
      HookSpec hook, java.util.function.Function<SecretName, SecretValue> secrets) {
    dev.keyturn.core.SettingChecks checks =
        dev.keyturn.core.SettingChecks.hook(hook)
            .only("url", "method", "signing-secret")
            .httpUrl("url")
            .oneOf("method", java.util.List.of("GET", "POST", "PUT"))
            .secretName("signing-secret");
    checks.required("url");
    // ...and none with user information or a fragment, as every call checks.
    HttpCall.url(hook.settings().get("url"), "an http hook's 'url'");
  }

  @Override
  public void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets) {
    run(hook, rule, rotation, secrets, Outbound.publicOnly());
  }

  @Override
  public void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets,
      Outbound outbound) {
    URI uri = HttpCall.url(hook.settings().get("url"), "an http hook's 'url'");
    String method = method(hook);
    byte[] body =
        method.equals("GET")
            ? new byte[0]
            : ("{\"secret\":"
                    + WebhookTarget.quote(rotation.secret().value())
                    + ",\"version\":"
                    + rotation.pendingVersion().map(String::valueOf).orElse("null")
                    + ",\"phase\":"
                    + WebhookTarget.quote(hook.phase().wireName())
                    + ",\"rotation\":"
                    + WebhookTarget.quote(rotation.id())
                    + "}")
                .getBytes(StandardCharsets.UTF_8);
    Optional<byte[]> key =
        Optional.ofNullable(hook.settings().get("signing-secret"))
            .map(name -> secrets.apply(SecretName.of(name)).plaintext().reveal());
    int status;
    try {
      status =
          HttpCall.send(
              method, uri, body, key, clock.instant().getEpochSecond(), TIMEOUT, outbound);
    } finally {
      key.ifPresent(k -> Arrays.fill(k, (byte) 0));
    }
    boolean ok = hook.check() ? status == 200 : status / 100 == 2;
    if (!ok) {
      throw new KeyturnException.TargetFailure("failed (HTTP " + status + ")");
    }
  }

  private static String method(HookSpec hook) {
    String method = hook.settings().getOrDefault("method", hook.check() ? "GET" : "POST");
    if (!method.equals("GET") && !method.equals("POST") && !method.equals("PUT")) {
      throw new KeyturnException.InvalidInput("an http hook's 'method' is GET, POST or PUT");
    }
    return method;
  }
}
