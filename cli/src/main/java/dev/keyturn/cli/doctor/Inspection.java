package dev.keyturn.cli.doctor;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.ValueChecks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks of {@code keyturn doctor} over environments already read (env files, units, doctor's
 * own environment): expected variables, value hygiene ({@link ValueChecks}), {@code _FILE} targets,
 * modes and git, inline secrets in units, values shared between variables or files, and, when a
 * mapping was resolved, values that differ from the current version of their secret or equal
 * another's. Findings carry check ids and places, never a value. Not thread-safe; one per run.
 */
public final class Inspection {
  /** A variable doctor expects, and whether its absence is an error (else a warning). */
  public record Expected(String variable, boolean required) {}

  /** The current value of the managed secret mapped to a variable. Holds a value: never print. */
  public record Managed(String secret, String variable, String value) {
    @Override
    public String toString() {
      return variable + " <- " + secret;
    }
  }

  private final Path workingDir;
  private final Map<String, Boolean> expected = new LinkedHashMap<>();
  private final List<Managed> managed;
  private final Optional<Pattern> extra;
  private final List<Finding> findings = new ArrayList<>();
  private final Set<String> fileChecked = new LinkedHashSet<>();
  private final List<Assignment> values = new ArrayList<>();

  public Inspection(
      Path workingDir, List<Expected> expected, List<Managed> managed, Optional<Pattern> extra) {
    this.workingDir = requireNonNull(workingDir, "workingDir").toAbsolutePath().normalize();
    for (Expected e : expected) {
      this.expected.merge(e.variable(), e.required(), Boolean::logicalOr);
    }
    this.managed = List.copyOf(managed);
    this.extra = requireNonNull(extra, "extra");
  }

  /** Checks one environment: the assignments in the order they apply, later ones winning. */
  public void environment(String name, List<Assignment> assignments) {
    Map<String, Assignment> effective = new LinkedHashMap<>();
    for (Assignment a : assignments) {
      effective.put(a.variable(), a);
      a.file()
          .filter(f -> a.origin() == Assignment.Origin.ENV_FILE)
          .ifPresent(f -> secretFile(f, ""));
    }
    List<Assignment> checked = new ArrayList<>();
    for (Assignment a : assignments) {
      if (checks(a.variable())) {
        checked.add(a);
      }
    }
    for (Assignment a : effective.values()) {
      String v = a.variable();
      if (v.endsWith("_FILE") && v.length() > 5 && checks(v.substring(0, v.length() - 5))) {
        fileTarget(a).ifPresent(checked::add);
      }
    }
    for (Map.Entry<String, Boolean> e : expected.entrySet()) {
      String v = e.getKey();
      Assignment direct = effective.get(v);
      Assignment file = effective.get(v + "_FILE");
      boolean present =
          (direct != null && !direct.reveal().isEmpty())
              || (file != null && !file.reveal().isEmpty());
      if (present) {
        continue;
      }
      if (!e.getValue()) {
        findings.add(
            Finding.warning(
                "var.optional-missing",
                v,
                display(name),
                "optional variable " + v + " is not set (its feature will be off)"));
      } else if (direct != null) {
        findings.add(
            Finding.error("var.empty", v, display(direct.location()), v + " is set but empty"));
      } else {
        findings.add(
            Finding.error(
                "var.missing", v, display(name), "required variable " + v + " is not set"));
      }
    }
    for (Assignment a : effective.values()) {
      if (a.variable().endsWith("_FILE")) {
        String base = a.variable().substring(0, a.variable().length() - 5);
        Assignment direct = effective.get(base);
        if (direct != null && !direct.reveal().isEmpty() && !a.reveal().isEmpty()) {
          findings.add(
              Finding.warning(
                  "var.file-and-value",
                  base,
                  display(a.location()),
                  "both "
                      + base
                      + " and "
                      + a.variable()
                      + " are set; programs differ in which one wins"));
        }
      }
    }
    for (Assignment a : checked) {
      if (a.reveal().isEmpty()) {
        continue;
      }
      boolean secret = secret(a.variable());
      List<ValueChecks.Check> failed =
          secret
              ? ValueChecks.all(a.variable(), a.reveal(), extra)
              : ValueChecks.placeholder(a.reveal(), extra);
      for (ValueChecks.Check check : failed) {
        findings.add(
            Finding.error(check.id(), a.variable(), display(a.location()), check.describe()));
      }
      if (!secret) {
        continue;
      }
      if (a.origin() == Assignment.Origin.UNIT_INLINE) {
        findings.add(
            Finding.error(
                "unit.inline-secret",
                a.variable(),
                display(a.location()),
                "a secret inline in Environment= is readable by anyone who can read the unit"
                    + " (systemctl show); move it to a mode-600 EnvironmentFile= or a _FILE"));
      }
      values.add(a);
    }
  }

  /** A file that holds secrets: checks its mode, its folder's and git, once per file. */
  public void secretFile(Path file, String variable) {
    Path key = file.toAbsolutePath().normalize();
    if (!fileChecked.add(key.toString())) {
      return;
    }
    for (Finding f : FileChecks.modes(key, variable)) {
      findings.add(relocated(f));
    }
    String fileName = key.getFileName() == null ? "" : key.getFileName().toString();
    if (fileName.startsWith(".env") || !variable.isEmpty()) {
      for (Finding f : FileChecks.git(key, variable)) {
        findings.add(relocated(f));
      }
    }
  }

  /** A finding of the caller's (a target that could not be read, say). */
  public void add(Finding finding) {
    findings.add(relocated(finding));
  }

  /**
   * Ends the run: the cross-file checks (a value shared by two variables or files; a value other
   * than its mapped secret's) and every finding, in the order found.
   */
  public List<Finding> finish() {
    Map<Integer, List<Assignment>> byValue = new LinkedHashMap<>();
    Set<String> seen = new LinkedHashSet<>();
    for (Assignment a : values) {
      if (seen.add(a.variable() + "@" + a.location())) {
        byValue.computeIfAbsent(a.reveal().hashCode(), h -> new ArrayList<>()).add(a);
      }
    }
    for (List<Assignment> bucket : byValue.values()) {
      for (Assignment a : bucket) {
        List<Assignment> same =
            bucket.stream()
                .filter(b -> b != a && same(a.reveal(), b.reveal()))
                .filter(b ->
                    !b.variable().equals(a.variable())
                        || !b.file().equals(a.file())
                        || a.file().isEmpty())
                .toList();
        if (!same.isEmpty()) {
          Assignment b = same.get(0);
          findings.add(
              Finding.error(
                  "value.duplicate",
                  a.variable(),
                  display(a.location()),
                  "the same value as "
                      + b.variable()
                      + " at "
                      + display(b.location())
                      + (same.size() > 1 ? " and " + (same.size() - 1) + " more" : "")
                      + "; each variable and environment needs its own"));
        }
      }
    }
    Set<String> checkedOnce = new LinkedHashSet<>();
    for (Assignment a : values) {
      if (checkedOnce.add(a.variable() + "@" + a.location())) {
        managedCheck(a);
      }
    }
    // A file read as a target and again through a unit's EnvironmentFile= reports once.
    Map<String, Finding> distinct = new LinkedHashMap<>();
    for (Finding f : findings) {
      distinct.putIfAbsent(f.check() + "|" + f.variable() + "|" + f.location(), f);
    }
    return List.copyOf(distinct.values());
  }

  private void managedCheck(Assignment a) {
    Optional<Managed> own =
        managed.stream().filter(m -> m.variable().equals(a.variable())).findFirst();
    Optional<Managed> other =
        managed.stream()
            .filter(m -> !m.variable().equals(a.variable()))
            .filter(m -> same(m.value(), a.reveal()))
            .findFirst();
    if (other.isPresent()) {
      findings.add(
          Finding.error(
              "value.other-secret",
              a.variable(),
              display(a.location()),
              "holds the value of managed secret "
                  + other.get().secret()
                  + (own.isPresent() ? ", not of " + own.get().secret() : "")));
    } else if (own.isPresent() && !same(own.get().value(), a.reveal())) {
      findings.add(
          Finding.error(
              "value.not-current",
              a.variable(),
              display(a.location()),
              "differs from the current version of "
                  + own.get().secret()
                  + "; deliver it with keyturn run or render"));
    }
  }

  private Optional<Assignment> fileTarget(Assignment a) {
    String base = a.variable().substring(0, a.variable().length() - 5);
    if (a.reveal().isEmpty()) {
      return Optional.empty();
    }
    Path target = workingDir.resolve(a.reveal()).normalize();
    String where = display(a.location());
    if (!Files.exists(target)) {
      findings.add(
          Finding.error(
              "file-var.missing",
              base,
              where,
              a.variable() + " names a file that does not exist: " + display(target.toString())));
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(target);
    } catch (IOException e) {
      findings.add(
          Finding.error(
              "file-var.unreadable",
              base,
              where,
              a.variable() + " names a file doctor cannot read (" + EnvFile.reason(e) + ")"));
      return Optional.empty();
    }
    secretFile(target, base);
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (text.endsWith("\n")) {
      text = text.substring(0, text.length() - 1);
    }
    if (text.isEmpty()) {
      findings.add(
          Finding.error("file-var.empty", base, where, a.variable() + " names an empty file"));
      return Optional.empty();
    }
    return Optional.of(
        new Assignment(
            base, text, target.toString(), Optional.of(target), Assignment.Origin.ENV_FILE));
  }

  /** Whether placeholder checks apply: an expected, mapped or secret-named variable. */
  private boolean checks(String variable) {
    return !variable.endsWith("_FILE") && (expected.containsKey(variable) || secret(variable));
  }

  /**
   * Whether all value checks apply (weakness, sharing, inline in a unit): a secret-named or mapped
   * variable. An expected {@code DB_PORT=5432} is checked for placeholders only.
   */
  private boolean secret(String variable) {
    return !variable.endsWith("_FILE")
        && (ValueChecks.sensitive(variable)
            || managed.stream().anyMatch(m -> m.variable().equals(variable)));
  }

  private static boolean same(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private Finding relocated(Finding f) {
    return new Finding(f.check(), f.level(), f.variable(), display(f.location()), f.message());
  }

  /** A place as people read it: paths inside the working folder relative to it. */
  private String display(String location) {
    String prefix = workingDir + "/";
    return location.startsWith(prefix) ? location.substring(prefix.length()) : location;
  }
}
