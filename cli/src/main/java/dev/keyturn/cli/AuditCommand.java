package dev.keyturn.cli;

import dev.keyturn.api.AuditHeadResponse;
import dev.keyturn.api.AuditListResponse;
import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.AuditVerifyResponse;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn audit [verify|checkpoint]}. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "Shows audit records (who did what to which secret, and the result; never a value).",
      "'audit verify' checks the tamper-evident chain; 'audit checkpoint' prints its head to",
      "keep elsewhere, so that 'audit verify --checkpoint HEAD' also catches deleted records."
    },
    subcommands = {AuditCommand.Verify.class, AuditCommand.Checkpoint.class})
final class AuditCommand extends ClientCommand implements Callable<Integer> {
  @Option(
      names = "--since",
      paramLabel = "WHEN",
      description = "A duration back from now (24h) or an RFC 3339 time.")
  String since;

  @Option(names = "--secret", paramLabel = "NAME", description = "Only records about this secret.")
  String secret;

  @Option(
      names = "--action",
      paramLabel = "ACTION",
      description = "Only this action, e.g. secret.read (see docs/api.md).")
  String action;

  @Option(
      names = "--result",
      paramLabel = "RESULT",
      description = "Only ok, denied (refused for the token) or failed records.")
  String result;

  @Option(
      names = "--token",
      paramLabel = "ID",
      description = "Only the requests made with this token id (tok_...; keyturn token ls).")
  String token;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "At most the newest N records (default 1000).")
  Integer limit;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() {
    AuditListResponse records =
        client()
            .audit(
                Optional.ofNullable(since),
                Optional.ofNullable(secret),
                Optional.ofNullable(action),
                Optional.ofNullable(result),
                Optional.ofNullable(token),
                Optional.ofNullable(limit));
    if (json) {
      printJson(records);
      return 0;
    }
    Table table =
        new Table(
            "SEQ", "TIME", "TOKEN", "CLIENT", "ACTION", "SECRET", "VERSION", "RESULT", "DETAIL");
    for (AuditRecordInfo r : records.records()) {
      table.row(
          r.seq(),
          r.time(),
          r.tokenId(),
          r.client(),
          r.action(),
          r.secret(),
          r.version(),
          r.result(),
          r.detail().isEmpty() ? null : r.detail());
    }
    table.print(io().out());
    return 0;
  }

  /** Shared by the subcommands. */
  abstract static class Sub extends ClientCommand {}

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Checks the audit chain. Exit 0 when intact; otherwise names the first bad record and"
              + " exits 3.")
  static final class Verify extends Sub implements Callable<Integer> {
    @Option(
        names = "--checkpoint",
        paramLabel = "SEQ:MAC",
        description = "A head printed earlier by 'keyturn audit checkpoint'.")
    String checkpoint;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() {
      AuditVerifyResponse result = client().verifyAudit(Optional.ofNullable(checkpoint));
      if (json) {
        printJson(result);
      } else if (result.ok()) {
        io().out()
            .println("audit chain intact: " + result.records() + " records, head " + result.head());
      } else {
        io().err()
            .println(
                "keyturn: audit chain broken at record "
                    + result.problemSeq()
                    + ": "
                    + result.problem());
      }
      return result.ok() ? ExitCode.OK : ExitCode.FOUND;
    }
  }

  @Command(
      name = "checkpoint",
      mixinStandardHelpOptions = true,
      description = "Prints the audit chain's head (SEQ:MAC). Keep it outside Keyturn.")
  static final class Checkpoint extends Sub implements Callable<Integer> {
    @Override
    public Integer call() {
      AuditHeadResponse head = client().auditHead();
      io().out().println(head.checkpoint());
      return 0;
    }
  }
}
