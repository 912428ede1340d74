package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What the server says about the new root token: only what is true of how the CLI finds it. */
class StartMessageTest {
  private static final String TOKEN = "kt_AAAAAAAAAAAAAAAAAAAAAA";

  private static String announce(Path data, boolean terminal) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Main.announceRootToken(
        TOKEN, data, terminal, new PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void customDataFolder_doesNotClaimTheCliFindsIt_andPrintsTheLineToUse() {
    String text = announce(Path.of("/srv/secrets"), true);

    assertThat(text)
        .contains("    " + TOKEN + "\n")
        .contains("The CLI does not look in /srv/secrets by itself")
        .contains("    export KEYTURN_TOKEN_FILE=/srv/secrets/root.token\n")
        .doesNotContain("when run from");
  }

  @Test
  void defaultDataFolder_namesTheFolderToRunFrom() {
    String text = announce(Path.of("/home/me/project/keyturn-data"), true);

    assertThat(text)
        .contains("The CLI finds it when run from /home/me/project; elsewhere, run:")
        .contains("export KEYTURN_TOKEN_FILE=/home/me/project/keyturn-data/root.token");
  }

  @Test
  void notATerminal_neverPrintsTheToken() {
    String text = announce(Path.of("/srv/secrets"), false);

    assertThat(text)
        .doesNotContain(TOKEN)
        .startsWith("Root token written to /srv/secrets/root.token (mode 600).\n")
        .contains("export KEYTURN_TOKEN_FILE=/srv/secrets/root.token");
  }
}
