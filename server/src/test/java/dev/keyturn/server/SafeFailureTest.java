package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.KeyturnException;
import org.junit.jupiter.api.Test;

class SafeFailureTest {
  @Test
  void foreignExceptionMessages_neverReachTheLog() {
    Throwable e =
        new IllegalStateException(
            "wrapper", new NumberFormatException("For input string: \"canary-77\""));

    Throwable safe = SafeFailure.of(e);

    assertThat(safe.getMessage()).isEqualTo("java.lang.IllegalStateException");
    assertThat(safe.getCause().getMessage()).isEqualTo("java.lang.NumberFormatException");
    assertThat(safe.getStackTrace()).isEqualTo(e.getStackTrace());
    assertThat(SafeFailure.describe(e.getCause())).doesNotContain("canary");
  }

  @Test
  void keyturnMessages_arePassedOn() {
    assertThat(SafeFailure.describe(new KeyturnException.NotFound("app/K does not exist")))
        .isEqualTo("app/K does not exist");
  }
}
