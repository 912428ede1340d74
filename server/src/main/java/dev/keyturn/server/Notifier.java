package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.WireJson;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.targets.HttpCall;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
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
  private final Executor sender;

  /** A notifier that sends each announcement on a virtual thread of its own. */
  Notifier(
      Optional<String> url,
      Optional<String> signingSecret,
      SecretService secrets,
      AuditLog audit,
      Clock clock) {
    this(
        url,
        signingSecret,
        secrets,
        audit,
        clock,
        task -> Thread.ofVirtual().name("keyturn-notify").start(task));
  }

  /** A notifier that sends each announcement through {@code sender}. */
  Notifier(
      Optional<String> url,
      Optional<String> signingSecret,
      SecretService secrets,
      AuditLog audit,
      Clock clock,
      Executor sender) {
    this.url = url.map(u -> HttpCall.url(u, "--notify-url"));
    this.signingSecret = signingSecret.map(SecretName::of);
    this.secrets = requireNonNull(secrets, "secrets");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
    this.sender = requireNonNull(sender, "sender");
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
    sender.execute(() -> post(event, secret, bytes));
  }

  private void post(String event, String secret, byte[] body) {
    String result = "ok";
    Optional<byte[]> key = Optional.empty();
    try {
      if (signingSecret.isPresent()) {
        SecretValue value = secrets.read(signingSecret.get(), Selector.current(), false);
        key = Optional.of(value.plaintext().reveal());
      }
      // The operator's own URL: not limited by the outbound policy for scoped admins' rules.
      int status =
          HttpCall.send(
              "POST",
              url.get(),
              body,
              key,
              clock.instant().getEpochSecond(),
              Duration.ofSeconds(15),
              Outbound.unrestricted());
      if (status / 100 != 2) {
        result = "failed (HTTP " + status + ")";
      }
    } catch (KeyturnException e) {
      result = "failed: " + e.getMessage();
    } catch (RuntimeException e) {
      result = "failed";
    } finally {
      key.ifPresent(k -> Arrays.fill(k, (byte) 0));
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
