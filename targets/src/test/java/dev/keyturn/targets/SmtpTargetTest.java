package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.keyturn.core.Generator;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.TargetContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The smtp target logs in to a real SMTP server (GreenMail) with SMTP AUTH. */
class SmtpTargetTest {
  private static final SecretName NAME = SecretName.of("app/SMTP_PASSWORD");
  private GreenMail smtp;

  @BeforeEach
  void start() {
    smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.getManagers().getSmtpManager().getUserManager().setAuthRequired(true);
    smtp.start();
    smtp.setUser("mailer@example.com", "mailer", "right-app-password");
  }

  @AfterEach
  void stop() {
    smtp.stop();
  }

  private TargetContext context(String password) {
    RotationRule rule =
        new RotationRule(
            NAME,
            Generator.parse("manual"),
            Optional.empty(),
            Duration.ZERO,
            Strategy.MANUAL,
            Duration.ZERO,
            "smtp",
            Map.of(
                "host",
                "127.0.0.1",
                "port",
                Integer.toString(smtp.getSmtp().getPort()),
                "username",
                "mailer",
                "security",
                "none"),
            "",
            "",
            "",
            1,
            Duration.ZERO,
            List.of(),
            Optional.empty(),
            false,
            false);
    Rotation rotation =
        Rotation.builder()
            .id("rot_0000000000000002")
            .secret(NAME)
            .state(RotationState.TEST)
            .startedAt(Instant.EPOCH)
            .pendingVersion(Optional.of(2))
            .requestedBy("tok")
            .build();
    SecretValue pending =
        new SecretValue(
            NAME,
            new Version(
                2, Stage.PENDING, ValueType.STRING, Instant.EPOCH, "t", Optional.empty(), "f"),
            Plaintext.ofUtf8(password));
    return new TargetContext(
        rule,
        rotation,
        pending,
        Optional.empty(),
        n -> {
          throw new AssertionError();
        },
        p -> {},
        outbound);
  }

  private dev.keyturn.core.Outbound outbound =
      dev.keyturn.core.Outbound.of(List.of("127.0.0.1"), false);

  @Test
  void test_aScopedAdminsRule_toLoopback_isRefusedBeforeAnyLogin() {
    outbound = dev.keyturn.core.Outbound.publicOnly();

    assertThatThrownBy(() -> new SmtpTarget().test(context("right-app-password")))
        .isInstanceOf(KeyturnException.class)
        .hasMessage(dev.keyturn.core.Outbound.REFUSED);
  }

  @Test
  void test_logsInWithTheNewPassword() {
    new SmtpTarget().test(context("right-app-password"));
  }

  @Test
  void test_wrongPassword_isRefusedWithoutShowingIt() {
    assertThatThrownBy(() -> new SmtpTarget().test(context("wrong-canary-password")))
        .isInstanceOf(KeyturnException.TargetFailure.class)
        .hasMessage("the SMTP server 127.0.0.1 refused the login of mailer (535)")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("canary"))
        .satisfies(e ->
            assertThat(((KeyturnException.TargetFailure) e).retryable())
                .as("a 535 is not retried: retrying can lock the account at the provider")
                .isFalse());
  }

  @Test
  void checkWrite_anotherPassword_isRefusedPointingToRotateStdin() {
    TargetContext context = context("right-app-password");
    SecretValue current =
        new SecretValue(
            NAME,
            new Version(
                1, Stage.CURRENT, ValueType.STRING, Instant.EPOCH, "t", Optional.empty(), "f"),
            Plaintext.ofUtf8("right-app-password"));

    assertThatThrownBy(() ->
            new SmtpTarget()
                .checkWrite(
                    context.rule(), Optional.of(current), Plaintext.ofUtf8("canary-new-password")))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("keyturn rotate " + NAME + " --stdin")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("canary"));
    new SmtpTarget()
        .checkWrite(context.rule(), Optional.of(current), Plaintext.ofUtf8("right-app-password"));
  }
}
