package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConsumerRegistrationTest {
  private static final String ID = "[A-Za-z0-9._-]{1,64}";

  @Test
  void defaultId_cannotBeGuessedAndTakenInAdvanceByAnotherToken() {
    // An id belongs to the first token that registers it, and KIND.HOST.PID alone can be
    // guessed: a token with read on anything could take a production run's id ahead of it, and
    // that run would then hold nothing from retirement.
    String first = ConsumerRegistration.defaultId("run", "web-1");
    String second = ConsumerRegistration.defaultId("run", "web-1");

    assertThat(first).matches(ID).startsWith("run.web-1." + ProcessHandle.current().pid() + ".");
    assertThat(second).matches(ID).isNotEqualTo(first);
    assertThat(first.substring(first.lastIndexOf('.') + 1)).matches("[0-9a-f]{12}");
  }

  @Test
  void defaultId_ofALongOrOddHostName_staysAValidIdWithItsRandomPart() {
    String id = ConsumerRegistration.defaultId("agent", "a very long host name ".repeat(8));

    assertThat(id).matches(ID).startsWith("agent.a-very-long-host-name");
    assertThat(id).matches(".*\\." + ProcessHandle.current().pid() + "\\.[0-9a-f]{12}");
  }
}
