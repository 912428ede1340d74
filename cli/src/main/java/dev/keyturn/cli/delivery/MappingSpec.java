package dev.keyturn.cli.delivery;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What to map, before anything is read: whole folders ({@code --path}), single secrets ({@code
 * --secret}, {@code --optional}) and whether every secret brings its keyring ({@code --keyring}).
 * Built from options and from a map file (docs/delivery.md); holds names only, no values.
 *
 * @param paths folders whose secrets one level below are mapped, each named by its last segment
 * @param entries single secrets, in order
 * @param keyrings whether every mapped secret adds {@code VAR_FALLBACKS} and {@code VAR_OLD}
 */
public record MappingSpec(List<String> paths, List<Entry> entries, boolean keyrings) {
  private static final Pattern SECRET_NAME = Pattern.compile("[A-Za-z0-9._/-]{1,256}");

  public MappingSpec {
    paths = List.copyOf(paths);
    entries = List.copyOf(entries);
    for (String path : paths) {
      checkName(path, "--path");
    }
  }

  /** How one secret becomes variables. */
  public enum Kind {
    /** The value itself (a JSON object as JSON text). */
    VALUE,
    /** A database secret as its connection URL. */
    URL,
    /** A database secret as its JDBC URL. */
    JDBC,
    /** The value plus {@code VAR_FALLBACKS} and {@code VAR_OLD} from its keyring. */
    KEYRING
  }

  /**
   * One secret to map.
   *
   * @param name the secret's full name
   * @param variable the variable's name; empty for the name's last segment
   * @param kind how the value is rendered
   * @param optional whether its absence only warns
   */
  public record Entry(String name, Optional<String> variable, Kind kind, boolean optional) {
    public Entry {
      requireNonNull(name, "name");
      requireNonNull(variable, "variable");
      requireNonNull(kind, "kind");
    }

    /** The variable's name: as given, else the secret's last segment. */
    public String variableName() {
      return variable.orElseGet(() -> name.substring(name.lastIndexOf('/') + 1));
    }

    /**
     * Parses {@code NAME[=VAR][:url|:jdbc|:keyring]} as {@code --secret} and {@code --optional}
     * take it.
     *
     * @throws KeyturnException.InvalidInput naming the option and the argument
     */
    public static Entry parse(String spec, boolean optional) {
      String option = optional ? "--optional" : "--secret";
      Kind kind = Kind.VALUE;
      String rest = spec;
      int colon = spec.lastIndexOf(':');
      if (colon >= 0) {
        kind =
            switch (spec.substring(colon + 1)) {
              case "url" -> Kind.URL;
              case "jdbc" -> Kind.JDBC;
              case "keyring" -> Kind.KEYRING;
              default ->
                  throw new KeyturnException.InvalidInput(
                      option
                          + " "
                          + spec
                          + ": after ':' comes url, jdbc or keyring (NAME[=VAR][:url|:jdbc|:keyring])");
            };
        rest = spec.substring(0, colon);
      }
      Optional<String> variable = Optional.empty();
      int equals = rest.indexOf('=');
      if (equals >= 0) {
        variable = Optional.of(rest.substring(equals + 1));
        rest = rest.substring(0, equals);
      }
      checkName(rest, option);
      return new Entry(rest, variable, kind, optional);
    }
  }

  static void checkName(String name, String what) {
    if (!SECRET_NAME.matcher(name).matches()
        || name.startsWith("/")
        || name.endsWith("/")
        || name.contains("//")
        || java.util.Arrays.stream(name.split("/"))
            .anyMatch(s -> s.equals(".") || s.equals(".."))) {
      throw new KeyturnException.InvalidInput(
          what
              + ": '"
              + name
              + "' is not a secret name (segments of letters, digits, '.', '_', '-')");
    }
  }

  /** This spec followed by {@code other}'s paths and entries; keyrings if either asks. */
  public MappingSpec plus(MappingSpec other) {
    List<String> allPaths = new ArrayList<>(paths);
    allPaths.addAll(other.paths);
    List<Entry> allEntries = new ArrayList<>(entries);
    allEntries.addAll(other.entries);
    return new MappingSpec(allPaths, allEntries, keyrings || other.keyrings);
  }

  /**
   * Whether a change to secret {@code name} may change what this spec maps: it lies one level below
   * a path, or an entry names it.
   */
  public boolean covers(String name) {
    for (String path : paths) {
      if (name.startsWith(path + "/") && name.indexOf('/', path.length() + 1) < 0) {
        return true;
      }
    }
    return entries.stream().anyMatch(e -> e.name().equals(name));
  }

  /**
   * The folder one event stream follows to see every name this spec {@linkplain #covers covers}:
   * the segments that every path and entry name share (empty for the top level).
   */
  public String watchFolder() {
    List<String> all = new ArrayList<>(paths);
    entries.forEach(e -> all.add(e.name()));
    if (all.isEmpty()) {
      return "";
    }
    String[] common = all.get(0).split("/");
    int length = common.length;
    for (String name : all) {
      String[] segments = name.split("/");
      int i = 0;
      while (i < length && i < segments.length && segments[i].equals(common[i])) {
        i++;
      }
      length = i;
    }
    return String.join("/", java.util.Arrays.copyOf(common, length));
  }

  public boolean isEmpty() {
    return paths.isEmpty() && entries.isEmpty();
  }
}
