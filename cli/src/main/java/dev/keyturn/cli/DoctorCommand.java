package dev.keyturn.cli;

import dev.keyturn.api.HygieneResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.cli.delivery.Mapping;
import dev.keyturn.cli.delivery.MappingSpec;
import dev.keyturn.cli.delivery.Variables;
import dev.keyturn.cli.doctor.Finding;
import dev.keyturn.cli.doctor.Inspection;
import dev.keyturn.cli.doctor.Targets;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.KeyturnException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn doctor}: checks a deployment's secrets as runbook C asks (docs/doctor.md). */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Checks env files, folders, units and stored secrets for hygiene.",
      "Env files, folders (their .env* files), systemd units and its own environment: missing,"
          + " placeholder, weak, shared and stale secrets, open modes and files git could commit;"
          + " with --managed, the stored secrets the token may read.",
      "Findings name a check id, a variable and file:line, never a value. Exit 0: no errors;"
          + " 3: errors found; 1: could not run; 2: bad usage."
    })
final class DoctorCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(
      paramLabel = "TARGET",
      arity = "0..*",
      description = "An env file, a folder (its .env* files) or a systemd unit (*.service).")
  List<Path> targets = new ArrayList<>();

  @Option(names = "--env", description = "Check doctor's own environment (for ExecStartPre=).")
  boolean env;

  @Mixin MappingOptions mapping = new MappingOptions();

  @Option(
      names = "--var",
      paramLabel = "VAR",
      description = "A required variable that no secret is mapped to (repeatable).")
  List<String> vars = new ArrayList<>();

  @Option(
      names = "--optional-var",
      paramLabel = "VAR",
      description = "An optional variable: missing, it is a warning only (repeatable).")
  List<String> optionalVars = new ArrayList<>();

  @Option(
      names = "--placeholder",
      paramLabel = "REGEX",
      description = "Also count values this Java regular expression finds as placeholders.")
  String placeholder;

  @Option(names = "--json", description = "Print the findings as JSON.")
  boolean json;

  @Option(
      names = "--managed",
      arity = "0..1",
      fallbackValue = "",
      paramLabel = "PREFIX",
      description =
          "Also check the stored secrets at or below PREFIX (default: all) that the token may"
              + " read: weak values, placeholders, values equal to another secret's (compared on"
              + " the server). Give it as --managed=PREFIX before targets.")
  String managed;

  /** The checks that need a server, listed as skipped without a mapping. */
  static final List<String> MANAGED_CHECKS = List.of("value.not-current", "value.other-secret");

  @Override
  public Integer call() {
    if (targets.isEmpty() && !env && managed == null) {
      return usage("give a TARGET (env file, folder or unit), --env or --managed");
    }
    Optional<Pattern> extra;
    try {
      extra = Optional.ofNullable(placeholder).map(Pattern::compile);
    } catch (PatternSyntaxException e) {
      return usage("--placeholder is not a valid regular expression");
    }
    for (String v : concat(vars, optionalVars)) {
      if (!v.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        return usage("--var and --optional-var take variable names");
      }
    }
    try {
      return run(extra);
    } catch (KeyturnException
        | dev.keyturn.client.KeyturnClientException
        | IllegalStateException e) {
      io().err().println("keyturn: doctor could not run: " + ExitCode.message(e));
      return ExitCode.ERROR;
    }
  }

  private List<Finding> overdue = List.of();
  private String overdueSkipped = "no mapping: the rules of mapped secrets are not known";

  /**
   * A warning for each mapped secret whose rotation is overdue, from the status board of its
   * folder; skipped (and said so) when the token may not list it.
   */
  private List<Finding> overdue(WireClient client, java.util.Collection<String> secrets) {
    List<Finding> out = new ArrayList<>();
    java.util.Set<String> wanted = new java.util.TreeSet<>(secrets);
    java.util.Set<String> folders = new java.util.TreeSet<>();
    for (String s : wanted) {
      folders.add(s.contains("/") ? s.substring(0, s.lastIndexOf('/')) : "");
    }
    try {
      for (String folder : folders) {
        for (dev.keyturn.api.StatusRow row : client.status(folder).secrets()) {
          if (wanted.contains(row.name()) && "overdue".equals(row.state())) {
            out.add(
                new Finding(
                    "rule.overdue",
                    Finding.Level.WARNING,
                    row.name().substring(row.name().lastIndexOf('/') + 1),
                    row.name(),
                    "rotation was due " + row.nextDue() + "; run keyturn rotate " + row.name()));
          }
        }
      }
      overdueSkipped = null;
    } catch (dev.keyturn.client.KeyturnClientException e) {
      overdueSkipped = "the token may not read the status board (list): " + e.getMessage();
    }
    return out;
  }

  private int run(Optional<Pattern> extra) {
    List<Inspection.Expected> expected = new ArrayList<>();
    vars.forEach(v -> expected.add(new Inspection.Expected(v, true)));
    optionalVars.forEach(v -> expected.add(new Inspection.Expected(v, false)));
    List<Inspection.Managed> mappedValues = new ArrayList<>();
    boolean mapped = mappingGiven();
    if (mapped) {
      MappingSpec spec = mapping.spec(io().workingDir());
      for (MappingSpec.Entry entry : spec.entries()) {
        expected.add(new Inspection.Expected(entry.variableName(), !entry.optional()));
      }
      Variables variables;
      try (WireClient client = client()) {
        variables = new Mapping(new ClientSource(client), w -> {}).resolve(spec);
        overdue = overdue(client, variables.sources().values());
      }
      Map<String, String> sources = variables.sources();
      List<String> optional =
          spec.entries().stream()
              .filter(MappingSpec.Entry::optional)
              .map(MappingSpec.Entry::variableName)
              .toList();
      for (Map.Entry<String, String> v : variables.reveal().entrySet()) {
        expected.add(new Inspection.Expected(v.getKey(), !optional.contains(v.getKey())));
        mappedValues.add(new Inspection.Managed(sources.get(v.getKey()), v.getKey(), v.getValue()));
      }
    }
    Inspection inspection = new Inspection(io().workingDir(), expected, mappedValues, extra);
    Targets.read(io().workingDir(), targets, inspection);
    if (env) {
      Targets.environment(io().env(), inspection);
    }
    List<Finding> findings = new ArrayList<>(inspection.finish());
    findings.addAll(overdue);
    if (managed != null) {
      findings.addAll(managedFindings(managed));
    }
    List<Map<String, String>> skipped = new ArrayList<>();
    if (!mapped) {
      for (String check : MANAGED_CHECKS) {
        Map<String, String> row = new LinkedHashMap<>();
        row.put("check", check);
        row.put("reason", "no mapping: give --path, --secret, --optional or --map and a server");
        skipped.add(row);
      }
    }
    if (overdueSkipped != null) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("check", "rule.overdue");
      row.put("reason", overdueSkipped);
      skipped.add(row);
    }
    if (managed == null) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("check", "managed");
      row.put("reason", "stored secrets not checked: give --managed [PREFIX]");
      skipped.add(row);
    }
    print(findings, skipped);
    boolean errors = findings.stream().anyMatch(f -> f.level() == Finding.Level.ERROR);
    return errors ? ExitCode.FOUND : ExitCode.OK;
  }

  /** The server's findings on stored secrets, as doctor findings placed at {@code NAME#VERSION}. */
  private List<Finding> managedFindings(String prefix) {
    HygieneResponse answer;
    try (WireClient client = client()) {
      answer = client.hygiene(prefix);
    }
    List<Finding> out = new ArrayList<>();
    for (HygieneResponse.HygieneRow row : answer.secrets()) {
      String variable = row.name().substring(row.name().lastIndexOf('/') + 1);
      String where = row.name() + "#" + row.version();
      for (String check : row.checks()) {
        out.add(
            new Finding(
                check,
                Finding.Level.ERROR,
                variable,
                where,
                "the stored current value fails " + check));
      }
      if (!row.sameAs().isEmpty()) {
        out.add(
            new Finding(
                "value.duplicate",
                Finding.Level.ERROR,
                variable,
                where,
                "the same value as "
                    + String.join(", ", row.sameAs())
                    + "; each secret and environment needs its own"));
      }
    }
    io().err()
        .println(
            "keyturn: doctor checked "
                + answer.checked()
                + " stored secret(s) under '"
                + prefix
                + "' that this token may read");
    return out;
  }

  private void print(List<Finding> findings, List<Map<String, String>> skipped) {
    long errors = findings.stream().filter(f -> f.level() == Finding.Level.ERROR).count();
    long warnings = findings.size() - errors;
    if (json) {
      Map<String, Object> out = new LinkedHashMap<>();
      List<Map<String, String>> rows = new ArrayList<>();
      for (Finding f : findings) {
        Map<String, String> row = new LinkedHashMap<>();
        row.put("check", f.check());
        row.put("level", f.level().wireName());
        row.put("variable", f.variable());
        row.put("location", f.location());
        row.put("message", f.message());
        rows.add(row);
      }
      out.put("findings", rows);
      out.put("skipped", skipped);
      out.put("errors", errors);
      out.put("warnings", warnings);
      io().out().println(WireJson.mapper().writeValueAsString(out));
      return;
    }
    for (Finding f : findings) {
      io().out()
          .println(
              f.level().wireName()
                  + " "
                  + f.check()
                  + " "
                  + (f.variable().isEmpty() ? "" : f.variable() + " ")
                  + f.location()
                  + ": "
                  + f.message());
    }
    for (Map<String, String> s : skipped) {
      io().out().println("skipped " + s.get("check") + ": " + s.get("reason"));
    }
    io().out().println(errors + " error(s), " + warnings + " warning(s)");
  }

  private boolean mappingGiven() {
    return !mapping.paths.isEmpty()
        || !mapping.secrets.isEmpty()
        || !mapping.optionals.isEmpty()
        || mapping.map != null;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private int usage(String message) {
    io().err().println("keyturn: " + message + " (see 'keyturn doctor --help')");
    return ExitCode.USAGE;
  }
}
