package dev.keyturn.cli.delivery;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns a {@link MappingSpec} into {@link Variables}, shared by {@code run} and {@code render}.
 * Everything is read and checked before anything is returned, so a caller never acts on part of a
 * mapping: an invalid variable name, two secrets for one variable, a required secret that is
 * absent, {@code :url} on a value that is not a database secret, or a refusal by the server stops
 * it with a message that names the secret (never a value).
 *
 * <p>A secret met both under a {@code --path} and as an explicit entry is mapped as the entry says.
 * With a keyring, {@code VAR_FALLBACKS} is a JSON array of the keyring's other values (pending
 * first, then previous ones newest first, as Django's {@code SECRET_KEY_FALLBACKS} takes) and
 * {@code VAR_OLD} its first element, or empty.
 */
public final class Mapping {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final SecretSource source;
  private final Consumer<String> warnings;

  /**
   * @param warnings receives one line per optional secret that is absent (no values)
   */
  public Mapping(SecretSource source, Consumer<String> warnings) {
    this.source = requireNonNull(source, "source");
    this.warnings = requireNonNull(warnings, "warnings");
  }

  /** Reads and checks everything {@code spec} names. */
  public Variables resolve(MappingSpec spec) {
    requireNonNull(spec, "spec");
    Set<String> explicit = new HashSet<>();
    for (MappingSpec.Entry entry : spec.entries()) {
      explicit.add(entry.name());
    }
    Variables variables = new Variables();
    for (String path : spec.paths()) {
      List<Fetched> found = new ArrayList<>(source.below(path, spec.keyrings()));
      found.sort(Comparator.comparing(Fetched::name));
      for (Fetched secret : found) {
        if (!explicit.contains(secret.name())) {
          String variable = secret.name().substring(secret.name().lastIndexOf('/') + 1);
          add(
              variables,
              variable,
              false,
              secret,
              spec.keyrings() ? MappingSpec.Kind.KEYRING : MappingSpec.Kind.VALUE);
        }
      }
    }
    Map<String, MappingSpec.Entry> seen = new LinkedHashMap<>();
    for (MappingSpec.Entry entry : spec.entries()) {
      MappingSpec.Entry before = seen.put(entry.name(), entry);
      if (before != null && before.variableName().equals(entry.variableName())) {
        throw new KeyturnException.InvalidInput(
            entry.name() + " is mapped twice to " + entry.variableName());
      }
      MappingSpec.Kind kind =
          spec.keyrings() && entry.kind() == MappingSpec.Kind.VALUE
              ? MappingSpec.Kind.KEYRING
              : entry.kind();
      Optional<Fetched> secret = source.one(entry.name(), kind == MappingSpec.Kind.KEYRING);
      if (secret.isEmpty()) {
        if (!entry.optional()) {
          throw new KeyturnException.NotFound(
              entry.name()
                  + ": no such secret (required by the mapping; --optional makes it a warning)");
        }
        warnings.accept(
            "optional secret "
                + entry.name()
                + " is absent; "
                + entry.variableName()
                + " is not set");
        continue;
      }
      add(variables, entry.variableName(), entry.variable().isPresent(), secret.get(), kind);
    }
    return variables;
  }

  /**
   * @param named whether the person running the mapping gave the variable's name ({@code
   *     NAME=VAR}); otherwise it comes from the secret's name, which any writer under a path
   *     chooses, and {@link Variables#add} refuses the names that change how programs run
   */
  private static void add(
      Variables variables, String variable, boolean named, Fetched secret, MappingSpec.Kind kind) {
    if (secret.version() > 0) {
      List<Integer> delivered = new java.util.ArrayList<>();
      if (kind == MappingSpec.Kind.KEYRING) {
        delivered.add(secret.version());
        delivered.addAll(secret.otherVersions());
      }
      variables.held(secret.name(), secret.version(), delivered);
    }
    switch (kind) {
      case VALUE -> variables.add(variable, named, secret.name(), secret.reveal());
      case URL, JDBC -> variables.add(variable, named, secret.name(), connectionUrl(secret, kind));
      case KEYRING -> {
        variables.add(variable, named, secret.name(), secret.reveal());
        variables.add(
            variable + "_FALLBACKS",
            named,
            secret.name(),
            JSON.writeValueAsString(secret.others()));
        variables.add(
            variable + "_OLD",
            named,
            secret.name(),
            secret.others().isEmpty() ? "" : secret.others().get(0));
      }
    }
  }

  private static String connectionUrl(Fetched secret, MappingSpec.Kind kind) {
    String suffix = kind == MappingSpec.Kind.URL ? ":url" : ":jdbc";
    if (!secret.json()) {
      throw new KeyturnException.InvalidInput(
          secret.name() + ": " + suffix + " needs a database secret (a JSON object), not a string");
    }
    try {
      DatabaseSecret db = DatabaseSecret.parse(secret.reveal().getBytes(StandardCharsets.UTF_8));
      return kind == MappingSpec.Kind.URL ? db.url() : db.jdbcUrl();
    } catch (DatabaseSecret.Invalid e) {
      throw new KeyturnException.InvalidInput(
          secret.name() + ": " + suffix + " needs a database secret (" + e.getMessage() + ")");
    }
  }
}
