package dev.keyturn.cli;

import dev.keyturn.api.WhoAmIResponse;
import dev.keyturn.client.KeyturnClient;
import dev.keyturn.core.KeyturnException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code keyturn login}: checks a token and keeps it in ~/.keyturn/token (mode 600). */
@Command(
    name = "login",
    mixinStandardHelpOptions = true,
    description = {
      "Reads a token (typed at a prompt that does not echo, or from standard input), checks",
      "it against the server, and stores it in ~/.keyturn/token (mode 600) for later commands."
    })
final class LoginCommand extends ClientCommand implements Callable<Integer> {

  @Override
  public Integer call() throws IOException {
    String token = readToken();
    if (token.isEmpty()) {
      throw new KeyturnException.InvalidInput("no token given");
    }
    KeyturnClient client = ClientSettings.client(io(), addr(), Optional.of(token));
    WhoAmIResponse who = client.whoami();
    Path file = ClientSettings.loginFile(io());
    Files.createDirectories(
        file.getParent(),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    if (Files.exists(file)) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
    Files.writeString(
        file,
        token + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    io().out()
        .println(
            "Logged in to "
                + client.address()
                + " as "
                + who.name()
                + " ("
                + who.tokenId()
                + "); token saved in "
                + file);
    return 0;
  }

  private String readToken() throws IOException {
    if (io().terminal() && System.console() != null) {
      char[] typed = System.console().readPassword("Token: ");
      return typed == null ? "" : new String(typed).strip();
    }
    String line =
        new BufferedReader(new InputStreamReader(io().in(), StandardCharsets.UTF_8)).readLine();
    return line == null ? "" : line.strip();
  }
}
