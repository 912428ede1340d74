package dev.keyturn.cli;

import dev.keyturn.api.RuleBody;
import dev.keyturn.api.RuleResponse;
import dev.keyturn.core.KeyturnException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyturn rotation set|show|clear NAME}: rotation rules. */
@Command(
    name = "rotation",
    mixinStandardHelpOptions = true,
    description = "Sets, shows and clears a secret's rotation rule (needs admin).",
    subcommands = {
      RotationCommand.Set.class,
      RotationCommand.Show.class,
      RotationCommand.Clear.class
    })
final class RotationCommand implements Runnable {
  @ParentCommand KeyturnCli root;

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(root.io.out());
  }

  static void print(ClientCommand command, RuleResponse rule, boolean json) {
    if (json) {
      command.printJson(rule);
      return;
    }
    RuleBody r = rule.rule();
    Table table = new Table("FIELD", "VALUE");
    table.row("secret", rule.name());
    table.row("generate", r.generate());
    table.row(
        "schedule",
        r.every() != null
            ? "every " + r.every() + " (" + r.timezone() + ")"
            : r.cron() != null
                ? "cron " + r.cron() + " (" + r.timezone() + ")"
                : "on request only");
    if (r.window() != null) {
      table.row("window", r.window());
    }
    table.row("next due", rule.nextDue());
    if (r.lastRotated() != null) {
      table.row("last rotated", r.lastRotated());
    }
    if (Boolean.TRUE.equals(r.catchUp())) {
      table.row("catch up", "an overdue rotation starts at once");
    }
    if ("public".equals(r.jwks())) {
      table.row("jwks", "public: GET /v1/jwks/" + rule.name() + " serves the public keys");
    }
    table.row("strategy", r.strategy());
    table.row("grace", r.grace());
    table.row("propagation", r.propagation());
    if (r.consumerDeadline() != null) {
      table.row("consumer deadline", r.consumerDeadline());
    }
    table.row("target", r.target());
    table.row("owner", r.owner().isEmpty() ? null : r.owner());
    table.row("purpose", r.purpose().isEmpty() ? null : r.purpose());
    table.row("impact", r.impact().isEmpty() ? null : r.impact());
    table.row("retries", r.attempts() + " attempts, back-off from " + r.backoff());
    for (Map<String, String> h : r.hooks()) {
      table.row("true".equals(h.get("check")) ? "check" : "hook", h);
    }
    table.print(command.io().out());
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = {
        "Sets how and when a secret rotates.",
        "Never rotates at once: the first rotation is due one period after the current version"
            + " was created."
      })
  static final class Set extends ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = "--generate",
        paramLabel = "SPEC",
        description =
            "How new values are made (default hex:32); 'manual' when a person supplies them.")
    String generate;

    @Option(
        names = "--every",
        paramLabel = "PERIOD",
        description =
            "e.g. 90d, 12h, 3mo, 1y (calendar periods count in --timezone). Without it: on request only.")
    String every;

    @Option(
        names = "--timezone",
        paramLabel = "ZONE",
        description = "IANA time zone for calendar periods (default UTC).")
    String timezone;

    @Option(
        names = "--grace",
        paramLabel = "DURATION",
        description = "How long the replaced value stays valid (overlap, manual).")
    String grace;

    @Option(
        names = "--strategy",
        paramLabel = "STRATEGY",
        description =
            "overlap (default), single-user, alternating-users, manual, reencrypt (a Fernet key:"
                + " the rows of --table are re-encrypted under the new key).")
    String strategy;

    @Option(
        names = "--propagation",
        paramLabel = "DURATION",
        description =
            "overlap, reencrypt: how long verifiers (keyrings) know the new value before signers"
                + " use it (reencrypt: before the sweep);"
                + " consumers:D waits (any strategy) until every live consumer accepts it, at"
                + " most D.")
    String propagation;

    @Option(
        names = "--consumer-deadline",
        paramLabel = "DURATION",
        description =
            "How long past its grace a version a live consumer still uses is kept (default: one"
                + " more grace).")
    String consumerDeadline;

    @Option(
        names = "--target",
        paramLabel = "TYPE",
        description =
            "none (default: apps read the value), command, webhook, smtp, postgresql, mariadb"
                + " or redis.")
    String target;

    @Option(
        names = "--admin",
        paramLabel = "NAME",
        description =
            "postgresql, mariadb, redis: the secret holding the admin credential (you need read"
                + " on it).")
    String admin;

    @Option(
        names = "--table",
        paramLabel = "TABLE",
        description =
            "reencrypt: the table whose rows hold Fernet tokens ([schema.]name; PostgreSQL's"
                + " default schema is public).")
    String table;

    @Option(
        names = "--id-column",
        paramLabel = "COLUMN",
        description = "reencrypt: the table's primary key (or a non-null unique key).")
    String idColumn;

    @Option(
        names = "--column",
        paramLabel = "COLUMN",
        description = "reencrypt: the column holding the tokens (text or binary).")
    String column;

    @Option(
        names = "--batch-size",
        paramLabel = "N",
        description = "reencrypt: rows a commit (default 10000).")
    Integer batchSize;

    @Option(
        names = "--atomic",
        description = "reencrypt: sweep in one transaction, rolled back on any failure.")
    boolean atomic;

    @Option(
        names = "--skip-undecryptable",
        description = "reencrypt: leave rows no key opens as they are, instead of failing.")
    boolean skipUndecryptable;

    @Option(
        names = "--alt-username",
        paramLabel = "USER",
        description = "alternating-users: the second user (default: the first with _b).")
    String altUsername;

    @Option(
        names = "--set-command",
        paramLabel = "CMD",
        description = "command target: applies the value, given on standard input.")
    String setCommand;

    @Option(
        names = "--test-command",
        paramLabel = "CMD",
        description = "command target: checks the value, given on standard input.")
    String testCommand;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        description = "command target: per command (default 5m).")
    String timeout;

    @Option(
        names = "--cron",
        paramLabel = "EXPR",
        description = "Instead of --every: five cron fields, e.g. '0 3 1 * *' (in --timezone).")
    String cron;

    @Option(
        names = "--window",
        paramLabel = "WINDOW",
        description =
            "When rotations may start, e.g. 'Sun 02:00-04:00' or 'Mon-Fri 22:00-23:30' (in --timezone).")
    String window;

    @Option(
        names = "--setting",
        paramLabel = "KEY=VALUE",
        description =
            "Another target setting, e.g. host=smtp.example.com (smtp) or url=https://..."
                + " (webhook); repeatable.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--owner", paramLabel = "WHO")
    String owner;

    @Option(names = "--purpose", paramLabel = "TEXT")
    String purpose;

    @Option(
        names = "--impact",
        paramLabel = "TEXT",
        description = "What breaks if this secret breaks.")
    String impact;

    @Option(
        names = "--attempts",
        paramLabel = "N",
        description = "Tries per step before rolling back (default 5).")
    Integer attempts;

    @Option(
        names = "--backoff",
        paramLabel = "DURATION",
        description = "First retry delay, doubling each time (default 1s).")
    String backoff;

    @Option(
        names = "--hook",
        paramLabel = "PHASE:TYPE:ARG",
        description =
            "Run after-set, after-finish or on-failure: command:CMD or http:URL, e.g. after-set:command:systemctl reload gunicorn (repeatable).")
    List<String> hookSpecs = new ArrayList<>();

    @Option(
        names = "--check",
        paramLabel = "PHASE:TYPE:ARG",
        description =
            "Like --hook, but a failure fails the step, e.g. after-set:http:http://127.0.0.1:8000/health (repeatable).")
    List<String> checkSpecs = new ArrayList<>();

    @Option(
        names = "--last-rotated",
        paramLabel = "WHEN",
        description =
            "When the secret was last rotated by hand, e.g. 2026-08-01: its next due date counts"
                + " from then.")
    String lastRotated;

    @Option(
        names = "--catch-up",
        description =
            "If the rule is already overdue, rotate at once rather than in its next window.")
    boolean catchUp;

    @Option(
        names = "--jwks",
        paramLabel = "public|none",
        description =
            "public: serve the public keys of the pending, current and previous versions as a JWK"
                + " Set at GET /v1/jwks/NAME, with no token (rsa, ec and ed25519 generators only)."
                + " Default none.")
    String jwks;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Option(
        names = "--file",
        paramLabel = "FILE",
        description =
            "The whole rule as YAML (or JSON); see docs/rules.md. Not with the other rule options.")
    java.nio.file.Path file;

    private static void putIfGiven(Map<String, String> settings, String key, String value) {
      if (value != null) {
        settings.put(key, value);
      }
    }

    @Override
    public Integer call() throws java.io.IOException {
      if (file != null) {
        print(this, client().putRule(name, fromFile(file)), json);
        return 0;
      }
      List<Map<String, String>> hooks = new ArrayList<>();
      for (String h : hookSpecs) {
        hooks.add(hook(h, false));
      }
      for (String c : checkSpecs) {
        hooks.add(hook(c, true));
      }
      Map<String, String> targetSettings = new LinkedHashMap<>();
      targetSettings.put("type", target == null ? "none" : target);
      if (setCommand != null) {
        targetSettings.put("set-command", setCommand);
      }
      if (testCommand != null) {
        targetSettings.put("test-command", testCommand);
      }
      if (timeout != null) {
        targetSettings.put("timeout", timeout);
      }
      if (admin != null) {
        targetSettings.put("admin", admin);
      }
      if (altUsername != null) {
        targetSettings.put("alt-username", altUsername);
      }
      putIfGiven(targetSettings, "table", table);
      putIfGiven(targetSettings, "id-column", idColumn);
      putIfGiven(targetSettings, "column", column);
      putIfGiven(targetSettings, "batch-size", batchSize == null ? null : batchSize.toString());
      if (atomic) {
        targetSettings.put("atomic", "true");
      }
      if (skipUndecryptable) {
        targetSettings.put("skip-undecryptable", "true");
      }
      targetSettings.putAll(settings);
      RuleResponse rule =
          client()
              .putRule(
                  name,
                  new RuleBody(
                      generate,
                      every,
                      timezone,
                      grace,
                      strategy,
                      propagation,
                      targetSettings,
                      owner,
                      purpose,
                      impact,
                      attempts,
                      backoff,
                      hooks,
                      cron,
                      window,
                      lastRotated,
                      catchUp ? Boolean.TRUE : null,
                      jwks,
                      consumerDeadline));
      print(this, rule, json);
      return 0;
    }
  }

  /** Reads a rule file: YAML (a superset of JSON) with the fields of {@link RuleBody}. */
  static RuleBody fromFile(java.nio.file.Path file) throws java.io.IOException {
    byte[] bytes;
    try {
      bytes = java.nio.file.Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new KeyturnException.InvalidInput(file + ": no such file");
    }
    try {
      return tools.jackson.dataformat.yaml.YAMLMapper.builder()
          .propertyNamingStrategy(tools.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
          .enable(tools.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build()
          .readValue(bytes, RuleBody.class);
    } catch (tools.jackson.databind.exc.UnrecognizedPropertyException e) {
      throw new KeyturnException.InvalidInput(
          file + ": unknown field '" + e.getPropertyName() + "' (see docs/rules.md)");
    } catch (tools.jackson.core.JacksonException e) {
      throw new KeyturnException.InvalidInput(
          file + " is not a rule file (YAML): " + e.getOriginalMessage());
    }
  }

  /** PHASE:TYPE:ARG, where ARG is the command of a command hook or the URL of an http hook. */
  static Map<String, String> hook(String spec, boolean check) {
    String[] parts = spec.split(":", 3);
    if (parts.length != 3 || parts[2].isBlank()) {
      throw new KeyturnException.InvalidInput(
          "a hook is PHASE:TYPE:ARG, e.g. after-set:command:systemctl reload gunicorn");
    }
    Map<String, String> out = new LinkedHashMap<>();
    out.put("phase", parts[0]);
    out.put("type", parts[1]);
    out.put("check", Boolean.toString(check));
    switch (parts[1]) {
      case "command" -> out.put("command", parts[2]);
      case "http" -> out.put("url", parts[2]);
      default ->
          throw new KeyturnException.InvalidInput(
              "--hook and --check take command or http; give sql hooks through the API");
    }
    return out;
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Shows a secret's rotation rule.")
  static final class Show extends ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() {
      print(this, client().rule(name), json);
      return 0;
    }
  }

  @Command(
      name = "clear",
      mixinStandardHelpOptions = true,
      description = "Removes a secret's rotation rule.")
  static final class Clear extends ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      client().deleteRule(name);
      io().out().println(name + ": rotation rule removed");
      return 0;
    }
  }
}
