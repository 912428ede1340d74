package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.WireJson;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.crypto.Signatures;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces rotation outcomes and overdue secrets to {@code --notify-url}: a JSON POST whose {@code
 * text} field is what Slack-style incoming webhooks show, with {@code event}, {@code secret},
 * {@code rotation}, {@code state} and {@code reason} beside it for programs. Signed like the
 * webhook target when a signing secret is configured. Sent in the background; a failure is logged
 * and audited, never fatal. No value ever goes into a notification.
 */
final class Notifier {
  private static final Logger log = LoggerFactory.getLogger(Notifier.class);

  private final Optional<URI> url;
  private final Optional<SecretName> signingSecret;
  private final SecretService secrets;
  private final AuditLog audit;
  private final Clock clock;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  Notifier(
      Optional<String> url,
      Optional<String> signingSecret,
      SecretService secrets,
      AuditLog audit,
      Clock clock) {
    this.url = url.map(URI::create);
    this.signingSecret = signingSecret.map(SecretName::of);
    this.secrets = requireNonNull(secrets, "secrets");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  boolean enabled() {
    return url.isPresent();
  }

  /** Sends one announcement in the background. */
  void send(
      String event,
      String secret,
      Optional<String> rotation,
      String state,
      String text,
      Optional<String> reason) {
    if (url.isEmpty()) {
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("text", text);
    body.put("event", event);
    body.put("secret", secret);
    rotation.ifPresent(r -> body.put("rotation", r));
    body.put("state", state);
    reason.ifPresent(r -> body.put("reason", r));
    byte[] bytes = WireJson.mapper().writeValueAsBytes(body);
    Thread.ofVirtual().name("keyturn-notify").start(() -> post(event, secret, bytes));
  }

  private void post(String event, String secret, byte[] body) {
    String result = "ok";
    try {
      long timestamp = clock.instant().getEpochSecond();
      HttpRequest.Builder request =
          HttpRequest.newBuilder(url.get())
              .timeout(Duration.ofSeconds(15))
              .header("Content-Type", "application/json")
              .header(Signatures.TIMESTAMP_HEADER, Long.toString(timestamp));
      if (signingSecret.isPresent()) {
        SecretValue key = secrets.read(signingSecret.get(), Selector.current(), false);
        byte[] keyBytes = key.plaintext().reveal();
        request.header(Signatures.SIGNATURE_HEADER, Signatures.sign(keyBytes, timestamp, body));
        Arrays.fill(keyBytes, (byte) 0);
      }
      HttpResponse<Void> response =
          http.send(
              request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
              HttpResponse.BodyHandlers.discarding());
      if (response.statusCode() / 100 != 2) {
        result = "http_" + response.statusCode();
      }
    } catch (KeyturnException e) {
      result = "failed: " + e.getMessage();
    } catch (Exception e) {
      result = "failed: " + e.getClass().getSimpleName();
    }
    if (!result.equals("ok")) {
      log.warn("notification {} about {} failed: {}", event, secret, result);
    }
    try {
      audit.append(
          List.of(
              new AuditEvent(
                  clock.instant(),
                  "notifier",
                  "engine",
                  "notification.send",
                  Optional.of(secret),
                  Optional.empty(),
                  result.equals("ok") ? "ok" : "failed",
                  event + " " + result)));
    } catch (KeyturnException e) {
      log.warn("could not audit notification {} about {}: {}", event, secret, e.getMessage());
    }
  }
}
