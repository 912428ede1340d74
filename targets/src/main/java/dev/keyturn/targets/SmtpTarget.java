package dev.keyturn.targets;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * Target {@code smtp}, for the manual strategy: the mail provider issues the new password, a person
 * supplies it ({@code keyturn rotate NAME --stdin}), and the test step logs in to the SMTP server
 * with it (AUTH). Nothing is set or rolled back: the provider holds the password.
 *
 * <p>Settings: {@code host}, {@code port} (default 587), {@code username}, {@code security} ({@code
 * starttls}, the default; {@code tls} for implicit TLS, usually port 465; {@code none} only for a
 * local test server), {@code timeout-seconds} (default 30). The connection goes only where the
 * rule's outbound policy allows ({@link dev.keyturn.core.Outbound}, checked on the address the mail
 * client resolved); a failure says the login was refused or that the server did not answer, nothing
 * more.
 */
public final class SmtpTarget implements Target {
  public static final String TYPE = "smtp";

  /**
   * A plain {@code put} of another password is refused: it would skip the SMTP login that tests it;
   * a person supplies it with {@code keyturn rotate NAME --stdin} instead.
   */
  @Override
  public void checkWrite(
      dev.keyturn.core.RotationRule rule,
      java.util.Optional<dev.keyturn.core.SecretValue> current,
      dev.keyturn.core.Plaintext value) {
    if (current.isPresent() && !current.get().plaintext().sameAs(value)) {
      throw new KeyturnException.InvalidInput(
          rule.secret()
              + " is rotated by its rule (target smtp): a new password is tested with an SMTP"
              + " login first; supply it with keyturn rotate "
              + rule.secret()
              + " --stdin");
    }
  }

  @Override
  public java.util.Map<String, String> destinations(RotationRule rule) {
    String host = rule.target().get("host");
    return host == null ? java.util.Map.of() : java.util.Map.of("host", host);
  }

  @Override
  public void validate(
      dev.keyturn.core.RotationRule rule,
      java.util.function.Function<dev.keyturn.core.SecretName, dev.keyturn.core.SecretValue>
          secrets) {
    if (rule.strategy() != dev.keyturn.core.Strategy.MANUAL) {
      throw new KeyturnException.InvalidInput(
          "target smtp tests a password the mail provider issues: use --generate manual"
              + " --strategy manual");
    }
    dev.keyturn.core.SettingChecks checks =
        dev.keyturn.core.SettingChecks.target(rule)
            .only("host", "port", "username", "security", "timeout-seconds")
            .host("host")
            .integer("port", 1, 65535)
            .oneOf("security", java.util.List.of("starttls", "tls", "none"))
            .integer("timeout-seconds", 1, 300);
    checks.required("host");
    checks.required("username");
  }

  @Override
  public void set(TargetContext context) {}

  @Override
  public void test(TargetContext context) {
    String host = context.setting("host");
    String username = context.setting("username");
    int port = Integer.parseInt(context.rule().target().getOrDefault("port", "587"));
    String security = context.rule().target().getOrDefault("security", "starttls");
    String timeout =
        Integer.toString(
            1000 * Integer.parseInt(context.rule().target().getOrDefault("timeout-seconds", "30")));
    Properties props = new Properties();
    String protocol = security.equals("tls") ? "smtps" : "smtp";
    props.put("mail." + protocol + ".auth", "true");
    props.put("mail." + protocol + ".connectiontimeout", timeout);
    props.put("mail." + protocol + ".timeout", timeout);
    // An instance, not a class name: every socket the mail client opens checks its address.
    context.outbound().requireSomeAddressAllowed(host);
    props.put("mail." + protocol + ".socketFactory", context.outbound().socketFactory(host));
    props.put("mail." + protocol + ".socketFactory.fallback", "false");
    switch (security) {
      case "starttls" -> {
        props.put("mail.smtp.starttls.enable", "true");
        props.put("mail.smtp.starttls.required", "true");
      }
      case "tls", "none" -> {}
      default -> throw new KeyturnException.InvalidInput("smtp security is starttls, tls or none");
    }
    String password = new String(context.pending().plaintext().reveal(), StandardCharsets.UTF_8);
    Transport transport = null;
    try {
      transport = Session.getInstance(props).getTransport(protocol);
      transport.connect(host, port, username, password);
    } catch (AuthenticationFailedException e) {
      int code =
          transport instanceof org.eclipse.angus.mail.smtp.SMTPTransport smtp
              ? smtp.getLastReturnCode()
              : -1;
      // 535 (and any 5xx) is a refusal: trying the same password again can lock the account at
      // the provider. A 4xx (454: temporary authentication failure) may pass.
      String message =
          "the SMTP server " + host + " refused the login of " + username + " (" + code + ")";
      throw code >= 400 && code < 500
          ? new KeyturnException.TargetFailure(message)
          : KeyturnException.TargetFailure.permanent(message);
    } catch (MessagingException e) {
      String server = "the SMTP server " + host + ":" + port;
      throw new KeyturnException.TargetFailure(
          NetworkFailure.of(e).isPresent()
              ? NetworkFailure.describe(server, e)
              : server + " failed (no usable answer)");
    } finally {
      close(transport);
    }
  }

  private static void close(Transport transport) {
    if (transport != null) {
      try {
        transport.close();
      } catch (MessagingException e) {
        // the login already failed or succeeded; nothing to report
      }
    }
  }

  @Override
  public void rollback(TargetContext context) {}
}
