package dev.keyturn.cli;

import dev.keyturn.cli.delivery.AgentCache;
import dev.keyturn.cli.delivery.AgentConfig;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.KeyturnException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn agent --config FILE}: keeps files up to date and reloads apps (docs/agent.md). */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Keeps the outputs of a configuration file (YAML, docs/agent.md) up to date: on each change"
          + " it renders the file atomically, waits a random splay, runs the reload command and"
          + " the check; a failed check restores the previous file and reloads again. Renews its"
          + " token; renders from an encrypted local cache when the server is down at start."
    })
final class AgentCommand extends ClientCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      required = true,
      paramLabel = "FILE",
      description = "The agent's configuration (YAML, schema in docs/agent.md).")
  Path config;

  @Override
  public Integer call() throws InterruptedException {
    AgentConfig settings;
    try {
      settings = AgentConfig.read(io().workingDir().resolve(config));
    } catch (KeyturnException.InvalidInput e) {
      io().err().println("keyturn: " + e.getMessage());
      return ExitCode.USAGE;
    }
    String token =
        ClientSettings.token(io())
            .orElseThrow(() -> new KeyturnException.InvalidInput("no token: set KEYTURN_TOKEN"));
    AgentCache cache = new AgentCache(settings.state(), token, new SecureRandom());
    try (WireClient client = client();
        TokenRenewer renewer =
            new TokenRenewer(
                    client, line -> io().err().println("keyturn agent: " + line), Clock.systemUTC())
                .start();
        ConsumerRegistration registration =
            new ConsumerRegistration(
                    client,
                    ConsumerRegistration.defaultId("agent"),
                    ConsumerRegistration.label(
                        ConsumerRegistration.host() + ": agent " + config.getFileName()),
                    "agent",
                    ConsumerRegistration.DEFAULT_TTL,
                    line -> io().err().println("keyturn agent: " + line))
                .start()) {
      return new Agent(io(), client, settings, cache, new SecureRandom(), registration).run();
    }
  }
}
