package dev.keyturn.cli;

import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.TokenInfo;
import dev.keyturn.api.TokenListResponse;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyturn token create|list|revoke}. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Creates, lists and revokes access tokens.",
    subcommands = {
      TokenCommand.Create.class,
      TokenCommand.ListTokens.class,
      TokenCommand.Revoke.class
    })
final class TokenCommand implements Runnable {
  @ParentCommand KeyturnCli root;

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(root.io.out());
  }

  /** Shared by the subcommands. */
  abstract static class Sub extends ClientCommand {}

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Creates a token and prints it once.",
        "Grants are capability:pattern (read, list, write, rotate, admin; '*' matches anything,"
            + " '/' included). Your token must hold an admin grant that covers every grant you"
            + " give: every name the new pattern matches must be matched by yours. The new"
            + " token's creator is your token: revoking yours revokes it."
      })
  static final class Create extends Sub implements Callable<Integer> {
    @Option(
        names = "--allow",
        required = true,
        paramLabel = "GRANT",
        description = "e.g. read:app/production/* (repeatable)")
    List<String> grants;

    @Option(
        names = "--ttl",
        paramLabel = "DURATION",
        description =
            "Lifetime: 24h, 90d, or calendar months and years from now in UTC, 3mo, 1y"
                + " (default 30d; never longer than your own token's).")
    String ttl;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        description = "A name to recognize it by, e.g. ci-deploy.")
    String name;

    @Option(
        names = "--orphan",
        description =
            "Give it no creator, so that revoking your token leaves it valid and its lifetime is"
                + " its own (needs admin:*; audited as token.orphan). For an operator's own admin"
                + " token, so that the root token can be retired.")
    boolean orphan;

    @Option(names = "--json", description = "Print as JSON (the token is in the 'token' field).")
    boolean json;

    @Override
    public Integer call() {
      TokenCreateRequest request = new TokenCreateRequest(name, grants, ttl);
      TokenCreated created =
          orphan ? client().createOrphanToken(request) : client().createToken(request);
      if (json) {
        printJson(created);
      } else {
        io().out().println(created.token());
        io().err()
            .println(
                "created "
                    + created.id()
                    + " ("
                    + created.name()
                    + "), expires "
                    + created.expiresAt()
                    + "; the token above is not shown again");
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists tokens (never the tokens themselves).")
  static final class ListTokens extends Sub implements Callable<Integer> {
    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() {
      TokenListResponse tokens = client().listTokens();
      if (json) {
        printJson(tokens);
        return 0;
      }
      Table table = new Table("ID", "NAME", "GRANTS", "CREATOR", "EXPIRES", "STATE");
      boolean inferred = false;
      for (TokenInfo t : tokens.tokens()) {
        String state = t.revokedAt() != null ? "revoked" : t.valid() ? "valid" : "expired";
        inferred |= t.creatorInferred();
        table.row(
            t.id(),
            t.name(),
            String.join(" ", t.grants()),
            (t.creator() == null ? "-" : t.creator()) + (t.creatorInferred() ? " (inferred)" : ""),
            t.expiresAt() == null ? "never" : t.expiresAt(),
            state);
      }
      table.print(io().out());
      if (inferred) {
        io().err()
            .println(
                "(inferred): made before creators were recorded, with no verified audit record"
                    + " of its creation; counted as root's child");
      }
      return 0;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = {
        "Revokes a token and every token it made, at once.",
        "Refused when it would leave no valid admin:* token (make one with 'token create"
            + " --orphan' first)."
      })
  static final class Revoke extends Sub implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "The token id, as 'token list' shows it.")
    String id;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() {
      TokenInfo revoked = client().revokeToken(id);
      if (json) {
        printJson(revoked);
      } else {
        io().out().println("revoked " + revoked.id() + " (" + revoked.name() + ")");
        if (!revoked.revokedWith().isEmpty()) {
          io().out()
              .println("  and the tokens it made: " + String.join(" ", revoked.revokedWith()));
        }
      }
      return 0;
    }
  }
}
