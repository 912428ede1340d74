package dev.keyturn.server;

import dev.keyturn.core.CommandSpec;
import dev.keyturn.core.Durations;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The server's configuration file ({@code keyturn server --config keyturn.yaml}): what the operator
 * alone decides (docs/security.md, "Who decides what"). Read once at start, checked completely
 * (every error names the key), then frozen into a {@link HostPolicy}.
 *
 * <pre>
 * commands:                       # what rules may name; the API can never declare one
 *   reload-app:
 *     argv: [systemctl, reload, gunicorn]   # or  sh: "LINE"  (run as sh -c LINE)
 *     directory: /srv/app         # optional, absolute
 *     user: app                   # optional: run as this account (the server runs as root)
 *     timeout: 30s                # optional, default 5m, at most 1h
 *     environment: {APP_ENV: production}
 * sqlite-files: [/srv/app/app.db] # the SQLite files sql hooks may open and back up
 * tls-ca-files: [/etc/keyturn/db-ca.pem] # the CA files database targets' tls-ca may name
 * outbound:                       # where scoped admins' hooks, webhooks and targets may connect
 *   allow: [10.1.0.0/16, db.internal, "*.corp.example"]
 *   public: true                  # public addresses too (default true)
 * </pre>
 *
 * Without the file: no commands, no SQLite or CA files, public destinations only.
 */
final class ConfigFile {
  private static final Set<String> TOP =
      Set.of("commands", "sqlite-files", "tls-ca-files", "outbound");
  private static final Set<String> COMMAND =
      Set.of("argv", "sh", "directory", "user", "timeout", "environment");
  private static final Set<String> OUTBOUND = Set.of("allow", "public");
  private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  private ConfigFile() {}

  /**
   * Reads and checks {@code file}.
   *
   * @throws KeyturnException.InvalidInput naming the file and the key that is wrong
   */
  static HostPolicy read(Path file) {
    JsonNode root;
    try {
      root = YAMLMapper.builder().build().readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput("cannot read the configuration file " + file);
    } catch (JacksonException e) {
      throw new KeyturnException.InvalidInput(
          file + " is not YAML: " + e.getOriginalMessage().lines().findFirst().orElse(""));
    }
    try {
      return policy(root);
    } catch (KeyturnException.InvalidInput e) {
      throw new KeyturnException.InvalidInput(file + ": " + e.getMessage());
    }
  }

  static HostPolicy policy(JsonNode root) {
    if (root == null || root.isMissingNode() || root.isNull()) {
      return HostPolicy.none();
    }
    object(root, "the file", TOP);
    List<CommandSpec> commands = new ArrayList<>();
    JsonNode c = root.path("commands");
    if (!c.isMissingNode() && !c.isNull()) {
      object(c, "commands", null);
      for (Map.Entry<String, JsonNode> e : c.properties()) {
        commands.add(command(e.getKey(), e.getValue()));
      }
    }
    List<Path> files = new ArrayList<>();
    for (String f : strings(root.path("sqlite-files"), "sqlite-files")) {
      Path p = Path.of(f);
      if (!p.isAbsolute() || f.contains("?") || !p.normalize().toString().equals(f)) {
        throw new KeyturnException.InvalidInput(
            "sqlite-files: each entry must be an absolute, normalized path without options");
      }
      files.add(p);
    }
    List<Path> caFiles = new ArrayList<>();
    for (String f : strings(root.path("tls-ca-files"), "tls-ca-files")) {
      Path p = Path.of(f);
      if (!p.isAbsolute() || !p.normalize().toString().equals(f)) {
        throw new KeyturnException.InvalidInput(
            "tls-ca-files: each entry must be an absolute, normalized path");
      }
      caFiles.add(p);
    }
    Outbound outbound = Outbound.publicOnly();
    JsonNode o = root.path("outbound");
    if (!o.isMissingNode() && !o.isNull()) {
      object(o, "outbound", OUTBOUND);
      JsonNode pub = o.path("public");
      if (!pub.isMissingNode() && !pub.isBoolean()) {
        throw new KeyturnException.InvalidInput("outbound.public must be true or false");
      }
      outbound = Outbound.of(strings(o.path("allow"), "outbound.allow"), pub.asBoolean(true));
    }
    return new HostPolicy(commands, files, caFiles, outbound);
  }

  private static CommandSpec command(String name, JsonNode node) {
    String where = "commands." + name;
    if (!CommandSpec.isName(name)) {
      throw new KeyturnException.InvalidInput(
          where + ": a command's name is lower-case letters, digits, '-' and '.'");
    }
    object(node, where, COMMAND);
    boolean hasArgv = node.has("argv");
    boolean hasSh = node.has("sh");
    if (hasArgv == hasSh) {
      throw new KeyturnException.InvalidInput(where + ": give either argv (a list) or sh (a line)");
    }
    List<String> argv =
        hasArgv
            ? strings(node.get("argv"), where + ".argv")
            : List.of("sh", "-c", text(node.get("sh"), where + ".sh"));
    Optional<Path> directory =
        Optional.ofNullable(node.get("directory")).map(d -> Path.of(text(d, where + ".directory")));
    Optional<String> user =
        Optional.ofNullable(node.get("user")).map(u -> text(u, where + ".user"));
    Duration timeout =
        Optional.ofNullable(node.get("timeout"))
            .map(t -> duration(text(t, where + ".timeout"), where + ".timeout"))
            .orElse(DEFAULT_TIMEOUT);
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode e = node.path("environment");
    if (!e.isMissingNode() && !e.isNull()) {
      object(e, where + ".environment", null);
      for (Map.Entry<String, JsonNode> v : e.properties()) {
        env.put(v.getKey(), text(v.getValue(), where + ".environment." + v.getKey()));
      }
    }
    if (directory.isPresent() && !directory.get().isAbsolute()) {
      throw new KeyturnException.InvalidInput(where + ".directory must be an absolute path");
    }
    if (directory.isPresent() && !Files.isDirectory(directory.get())) {
      throw new KeyturnException.InvalidInput(where + ".directory does not exist");
    }
    if (user.isPresent() && !userExists(user.get())) {
      throw new KeyturnException.InvalidInput(where + ".user: no such account");
    }
    try {
      return new CommandSpec(name, argv, directory, user, timeout, env);
    } catch (KeyturnException.InvalidInput ex) {
      throw new KeyturnException.InvalidInput(where + ": " + ex.getMessage());
    }
  }

  private static boolean userExists(String user) {
    try {
      Process id =
          new ProcessBuilder("id", "-u", "--", user)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      return id.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static Duration duration(String text, String where) {
    try {
      return Durations.parse(text);
    } catch (KeyturnException.InvalidInput e) {
      throw new KeyturnException.InvalidInput(where + " is not a duration (e.g. 30s, 5m)");
    }
  }

  private static void object(JsonNode node, String where, Set<String> allowed) {
    if (!node.isObject()) {
      throw new KeyturnException.InvalidInput(where + " must be a mapping");
    }
    if (allowed != null) {
      for (String key : node.propertyNames()) {
        if (!allowed.contains(key)) {
          throw new KeyturnException.InvalidInput(
              where
                  + ": unknown key '"
                  + key
                  + "' (known: "
                  + String.join(", ", allowed.stream().sorted().toList())
                  + ")");
        }
      }
    }
  }

  private static List<String> strings(JsonNode node, String where) {
    if (node.isMissingNode() || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw new KeyturnException.InvalidInput(where + " must be a list");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : node) {
      out.add(text(n, where));
    }
    return out;
  }

  private static String text(JsonNode node, String where) {
    if (node == null || !(node.isString() || node.isNumber() || node.isBoolean())) {
      throw new KeyturnException.InvalidInput(where + " must be text");
    }
    return node.asString();
  }
}
