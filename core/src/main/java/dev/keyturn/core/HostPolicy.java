package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the operator lets rotations do on and from this host, read from the server's configuration
 * file at start and frozen: the commands rules may name, the SQLite files SQL hooks may open (and
 * back up), the CA files database targets may trust ({@code tls-ca}), and the outbound policy for
 * destinations scoped admins choose. Nothing here can be set through the API (docs/security.md,
 * "Who decides what"). Immutable and thread-safe.
 */
public final class HostPolicy {
  private final Map<String, CommandSpec> commands;
  private final Map<String, String> commandDigests;
  private final Set<Path> sqliteFiles;
  private final Set<Path> caFiles;
  private final Outbound outbound;

  /** A policy that declares no CA files. */
  public HostPolicy(
      Collection<CommandSpec> commands, Collection<Path> sqliteFiles, Outbound outbound) {
    this(commands, sqliteFiles, List.of(), outbound);
  }

  public HostPolicy(
      Collection<CommandSpec> commands,
      Collection<Path> sqliteFiles,
      Collection<Path> caFiles,
      Outbound outbound) {
    Map<String, CommandSpec> byName = new TreeMap<>();
    for (CommandSpec c : commands) {
      if (byName.put(c.name(), c) != null) {
        throw new KeyturnException.InvalidInput("command " + c.name() + " is declared twice");
      }
    }
    this.commands = Map.copyOf(byName);
    Map<String, String> digests = new TreeMap<>();
    byName.forEach((name, spec) -> digests.put(name, declarationDigest(spec)));
    this.commandDigests = java.util.Collections.unmodifiableMap(digests);
    Set<Path> files = new LinkedHashSet<>();
    for (Path p : sqliteFiles) {
      if (!p.isAbsolute()) {
        throw new KeyturnException.InvalidInput("sqlite-files must be absolute paths");
      }
      files.add(p.normalize());
    }
    this.sqliteFiles = Set.copyOf(files);
    Set<Path> cas = new LinkedHashSet<>();
    for (Path p : caFiles) {
      if (!p.isAbsolute()) {
        throw new KeyturnException.InvalidInput("tls-ca-files must be absolute paths");
      }
      cas.add(p.normalize());
    }
    this.caFiles = Set.copyOf(cas);
    this.outbound = requireNonNull(outbound, "outbound");
  }

  /**
   * No commands, no SQLite or CA files, public destinations only: a server without a config file.
   */
  public static HostPolicy none() {
    return new HostPolicy(List.of(), List.of(), Outbound.publicOnly());
  }

  /** The declared command {@code name}. */
  public Optional<CommandSpec> command(String name) {
    return Optional.ofNullable(commands.get(name));
  }

  /**
   * The declared command {@code name}.
   *
   * @throws KeyturnException.InvalidInput if it is not declared (the message says where to)
   */
  public CommandSpec requireCommand(String name) {
    CommandSpec spec = commands.get(name);
    if (spec == null) {
      throw new KeyturnException.InvalidInput(
          (CommandSpec.isName(name) ? "command '" + name + "'" : "that command")
              + " is not declared in the server's configuration file (commands:); rules name"
              + " declared commands only");
    }
    return spec;
  }

  public Set<String> commandNames() {
    return new TreeSet<>(commands.keySet());
  }

  /** Whether SQL hooks may open the SQLite file {@code file} (compared after normalizing). */
  public boolean sqliteFileDeclared(Path file) {
    return file.isAbsolute() && sqliteFiles.contains(file.normalize());
  }

  /**
   * Whether a database target may trust the CAs of {@code file} ({@code tls-ca}; compared after
   * normalizing). Nothing else may be opened for a rule's TLS.
   */
  public boolean caFileDeclared(Path file) {
    return file.isAbsolute() && caFiles.contains(file.normalize());
  }

  public Outbound outbound() {
    return outbound;
  }

  /**
   * A digest of the declarations of {@code names} (sorted; an undeclared name counts as such), so
   * that nodes can tell whether they would run the same programs for one rotation. Empty when
   * {@code names} is empty. It is made from {@link #commandDigests}, so that the digest another
   * node would compute can be told from what that node publishes ({@link #digest(Collection,
   * Map)}).
   */
  public String digest(Collection<String> names) {
    return digest(names, commandDigests);
  }

  /**
   * The digest of {@code names} for a node whose declarations have the digests {@code declared} (a
   * name it does not declare counts as such); empty when {@code names} is empty.
   */
  public static String digest(Collection<String> names, Map<String, String> declared) {
    if (names.isEmpty()) {
      return "";
    }
    MessageDigest sha = sha256();
    for (String name : new TreeSet<>(names)) {
      field(sha, name);
      field(sha, declared.getOrDefault(name, "-"));
    }
    return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
  }

  /**
   * The digest of each declared command's declaration (argv or line, directory, user, timeout,
   * environment), by name: what a node publishes, never the declarations' text.
   */
  public Map<String, String> commandDigests() {
    return commandDigests;
  }

  /** The digest of every command this file declares: the one figure nodes compare at a glance. */
  public String declaredDigest() {
    return digest(commands.keySet());
  }

  private static String declarationDigest(CommandSpec c) {
    MessageDigest sha = sha256();
    field(sha, Integer.toString(c.argv().size()));
    for (String arg : c.argv()) {
      field(sha, arg);
    }
    field(sha, c.directory().isPresent() ? c.directory().get().toString() : "");
    field(sha, c.user().orElse(""));
    field(sha, Long.toString(c.timeout().toMillis()));
    Map<String, String> env = new TreeMap<>(c.environment());
    field(sha, Integer.toString(env.size()));
    for (Map.Entry<String, String> e : env.entrySet()) {
      field(sha, e.getKey());
      field(sha, e.getValue());
    }
    return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void field(MessageDigest sha, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    sha.update((byte) (bytes.length >>> 24));
    sha.update((byte) (bytes.length >>> 16));
    sha.update((byte) (bytes.length >>> 8));
    sha.update((byte) bytes.length);
    sha.update(bytes);
  }

  /**
   * The commands {@code rule} names: its command target's {@code set-command} and {@code
   * test-command}, and its command hooks' {@code command}.
   */
  public static Set<String> commandsOf(RotationRule rule) {
    Set<String> names = new TreeSet<>();
    if (rule.targetType().equals("command")) {
      for (String key : List.of("set-command", "test-command")) {
        String v = rule.target().get(key);
        if (v != null && !v.isBlank()) {
          names.add(v);
        }
      }
    }
    for (HookSpec h : rule.hooks()) {
      if (h.type().equals("command")) {
        names.add(h.settings().getOrDefault("command", ""));
      }
    }
    return names;
  }

  /**
   * Why {@code rule} cannot run on this host (it names a command line rather than a declared
   * command, or a command this file does not declare), or empty when it can.
   */
  public Optional<String> whyNotRunnable(RotationRule rule) {
    for (String name : commandsOf(rule)) {
      if (!CommandSpec.isName(name)) {
        return Optional.of(
            "it carries an inline command line; declare the command in the server's configuration"
                + " file (commands:) and name it in the rule (keyturn rotation set)");
      }
      if (!commands.containsKey(name)) {
        return Optional.of(
            "it names command '"
                + name
                + "', which the server's configuration file does not declare");
      }
    }
    return Optional.empty();
  }
}
