package dev.keyturn.targets;

import dev.keyturn.core.HookSpec;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.crypto.Signatures;
import dev.keyturn.core.spi.Hook;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Hook {@code http}: calls {@code url}. A check defaults to {@code GET} and needs status 200 (a
 * health check); a hook defaults to {@code POST} with {@code {"secret", "version", "phase",
 * "rotation"}} (never a value) and accepts any 2xx. With {@code signing-secret} the call is signed
 * like the webhook target. Settings: {@code url}, {@code method}, {@code signing-secret}.
 */
public final class HttpHook implements Hook {
  public static final String TYPE = "http";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final Clock clock;

  public HttpHook(Clock clock) {
    this.clock = clock;
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
  }

  @Override
  public void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets) {
    String url = hook.settings().get("url");
    if (url == null || !url.matches("https?://.+")) {
      throw new KeyturnException.InvalidInput("an http hook needs an http or https 'url'");
    }
    URI uri = URI.create(url);
    String method = hook.settings().getOrDefault("method", hook.check() ? "GET" : "POST");
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
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(TIMEOUT)
            .method(
                method,
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (body.length > 0) {
      request.header("Content-Type", "application/json");
    }
    String signing = hook.settings().get("signing-secret");
    if (signing != null) {
      byte[] key = secrets.apply(SecretName.of(signing)).plaintext().reveal();
      long timestamp = clock.instant().getEpochSecond();
      request.header(Signatures.TIMESTAMP_HEADER, Long.toString(timestamp));
      request.header(Signatures.SIGNATURE_HEADER, Signatures.sign(key, timestamp, body));
      Arrays.fill(key, (byte) 0);
    }
    try {
      int status = http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      boolean ok = hook.check() ? status == 200 : status / 100 == 2;
      if (!ok) {
        throw new KeyturnException.TargetFailure(uri.getHost() + " answered " + status);
      }
    } catch (IOException e) {
      throw new KeyturnException.TargetFailure(
          uri.getHost() + " could not be reached: " + e.getClass().getSimpleName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyturnException.TargetFailure("interrupted");
    }
  }
}
