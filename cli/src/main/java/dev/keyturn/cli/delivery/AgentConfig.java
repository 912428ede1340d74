package dev.keyturn.cli.delivery;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The configuration of {@code keyturn agent} (YAML, schema in docs/agent.md), checked whole at
 * start: every error names the file, the line and the key. Immutable once read.
 *
 * @param state the folder of the encrypted cache and the applied versions
 */
public record AgentConfig(List<Output> outputs, Path state) {
  private static final YAMLMapper YAML = YAMLMapper.builder().build();
  private static final Set<String> TOP = Set.of("outputs", "state");
  private static final Set<String> OUTPUT =
      Set.of("path", "format", "name", "mapping", "mode", "owner", "reload", "check");
  private static final Set<String> RELOAD = Set.of("command", "splay", "timeout");
  private static final Set<String> CHECK = Set.of("http", "command", "timeout");

  public AgentConfig {
    outputs = List.copyOf(outputs);
    requireNonNull(state, "state");
  }

  /**
   * One file (or {@code _FILE} folder) the agent keeps up to date.
   *
   * @param format empty for {@code files}: one file per variable in the folder {@code path}
   * @param mode the file's permissions (the folder's are 700 for {@code files})
   * @param owner {@code user} or {@code user:group}, set on the file before it is renamed in place
   */
  public record Output(
      String key,
      Path path,
      Optional<Format> format,
      Optional<String> name,
      MappingSpec mapping,
      Set<PosixFilePermission> mode,
      Optional<String> owner,
      Optional<Reload> reload,
      Optional<Check> check) {
    public Output {
      mode = Set.copyOf(mode);
    }
  }

  /** A program (argv, run without a shell) the agent runs after writing an output. */
  public record Reload(List<String> command, Duration splay, Duration timeout) {
    public Reload {
      command = List.copyOf(command);
    }
  }

  /** What must succeed after a reload: an HTTP 200 from {@code http}, or {@code command} exit 0. */
  public record Check(Optional<URI> http, List<String> command, Duration timeout) {
    public Check {
      command = List.copyOf(command);
    }
  }

  /**
   * Reads and checks {@code file}; relative paths in it are taken from its folder.
   *
   * @throws KeyturnException.InvalidInput naming the file, line and key of the first error
   */
  public static AgentConfig read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new KeyturnException.InvalidInput(file + ": no such file");
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput("cannot read " + file + ": " + e.getMessage());
    }
    JsonNode root;
    Map<String, Integer> lines = new HashMap<>();
    try {
      root = YAML.readTree(bytes);
      try (JsonParser p = YAML.createParser(bytes)) {
        for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
          lines.putIfAbsent(
              p.streamReadContext().pathAsPointer().toString(),
              p.currentTokenLocation().getLineNr());
        }
      }
    } catch (JacksonException e) {
      throw new KeyturnException.InvalidInput(
          file + ":" + e.getLocation().getLineNr() + ": not YAML: " + e.getOriginalMessage());
    }
    return new Reader(file, lines).config(root);
  }

  /** Walks the tree, knowing the line of each key. */
  private record Reader(Path file, Map<String, Integer> lines) {
    AgentConfig config(JsonNode root) {
      if (root == null || !root.isObject()) {
        throw error("", "the file must be a mapping with 'outputs'");
      }
      known(root, "", TOP);
      JsonNode outputs = root.get("outputs");
      if (outputs == null || !outputs.isArray() || outputs.isEmpty()) {
        throw error("/outputs", "a list of at least one output is required");
      }
      List<Output> list = new ArrayList<>();
      Set<Path> seen = new HashSet<>();
      for (int i = 0; i < outputs.size(); i++) {
        Output o = output(outputs.get(i), "/outputs/" + i);
        if (!seen.add(o.path())) {
          throw error("/outputs/" + i + "/path", "another output already writes " + o.path());
        }
        list.add(o);
      }
      Path state =
          root.has("state")
              ? path(text(root.get("state"), "/state"))
              : Path.of(System.getenv().getOrDefault("STATE_DIRECTORY", "/var/lib/keyturn-agent"));
      return new AgentConfig(list, state);
    }

    private Output output(JsonNode node, String at) {
      if (node == null || !node.isObject()) {
        throw error(at, "an output is a mapping with path, format and mapping");
      }
      known(node, at, OUTPUT);
      Path path = path(required(node, at, "path"));
      String formatText = required(node, at, "format");
      Optional<Format> format;
      try {
        format = formatText.equals("files") ? Optional.empty() : Optional.of(Format.of(formatText));
      } catch (KeyturnException e) {
        throw error(
            at + "/format",
            "'"
                + formatText
                + "' is not one of dotenv, docker-env, json, yaml, systemd,"
                + " k8s-secret, files");
      }
      Optional<String> name = optional(node, at, "name");
      if (name.isPresent() != (format.isPresent() && format.get() == Format.K8S_SECRET)) {
        throw error(at + (name.isPresent() ? "/name" : "/format"), "name goes with k8s-secret");
      }
      JsonNode mappingNode = node.get("mapping");
      if (mappingNode == null || !mappingNode.isObject()) {
        throw error(at + "/mapping", "a mapping (paths, secrets, keyring) is required");
      }
      MappingSpec mapping;
      try {
        mapping = MapFile.parse(YAML.writeValueAsBytes(mappingNode), "mapping");
      } catch (KeyturnException e) {
        throw error(at + "/mapping", e.getMessage());
      }
      if (mapping.isEmpty()) {
        throw error(at + "/mapping", "maps nothing: give paths or secrets");
      }
      Set<PosixFilePermission> mode = PosixFilePermissions.fromString("rw-------");
      Optional<String> modeText = optional(node, at, "mode");
      if (modeText.isPresent()) {
        mode = mode(modeText.get(), at + "/mode");
      }
      Optional<String> owner = optional(node, at, "owner");
      if (owner.isPresent() && !owner.get().matches("[a-z_][a-z0-9_.-]*(:[a-z_][a-z0-9_.-]*)?")) {
        throw error(at + "/owner", "owner is user or user:group");
      }
      Optional<Reload> reload = Optional.empty();
      JsonNode r = node.get("reload");
      if (r != null) {
        String rat = at + "/reload";
        if (!r.isObject()) {
          throw error(rat, "reload is a mapping with command, splay and timeout");
        }
        known(r, rat, RELOAD);
        reload =
            Optional.of(
                new Reload(
                    command(r, rat),
                    duration(r, rat, "splay", "0s"),
                    positive(duration(r, rat, "timeout", "30s"), rat + "/timeout")));
      }
      Optional<Check> check = Optional.empty();
      JsonNode c = node.get("check");
      if (c != null) {
        String cat = at + "/check";
        if (!c.isObject() || c.has("http") == c.has("command")) {
          throw error(cat, "check has either http (a URL that must answer 200) or command");
        }
        known(c, cat, CHECK);
        Optional<URI> http = Optional.empty();
        if (c.has("http")) {
          String url = text(c.get("http"), cat + "/http");
          URI uri;
          try {
            uri = URI.create(url);
          } catch (IllegalArgumentException e) {
            throw error(cat + "/http", "not a URL");
          }
          if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
              || uri.getHost() == null) {
            throw error(cat + "/http", "an http:// or https:// URL with a host");
          }
          http = Optional.of(uri);
        }
        List<String> command = c.has("command") ? command(c, cat) : List.of();
        check =
            Optional.of(
                new Check(
                    http, command, positive(duration(c, cat, "timeout", "10s"), cat + "/timeout")));
        if (reload.isEmpty()) {
          throw error(cat, "a check goes with a reload: there is nothing to check otherwise");
        }
      }
      return new Output(at, path, format, name, mapping, mode, owner, reload, check);
    }

    private List<String> command(JsonNode node, String at) {
      JsonNode c = node.get("command");
      if (c == null || !c.isArray() || c.isEmpty()) {
        throw error(
            at + "/command",
            "command is a list of words, e.g. [systemctl, reload, app]; it runs without a shell");
      }
      List<String> words = new ArrayList<>();
      for (int i = 0; i < c.size(); i++) {
        String word = text(c.get(i), at + "/command/" + i);
        if (word.indexOf('\0') >= 0) {
          throw error(at + "/command/" + i, "a word cannot hold a NUL");
        }
        words.add(word);
      }
      return words;
    }

    private Set<PosixFilePermission> mode(String text, String at) {
      if (!text.matches("0?[0-7]{3}")) {
        throw error(at, "mode is octal, e.g. \"0640\" (quoted)");
      }
      int bits = Integer.parseInt(text, 8);
      if ((bits & 0700) != 0600 && (bits & 0700) != 0400 || (bits & 0133) != 0) {
        throw error(at, "mode lets the owner read, and no one execute or others write, e.g. 0640");
      }
      if ((bits & 0004) != 0) {
        throw error(at, "mode lets every user read the secrets; give at most 0640");
      }
      StringBuilder rwx = new StringBuilder();
      for (int shift = 6; shift >= 0; shift -= 3) {
        int b = (bits >> shift) & 7;
        rwx.append((b & 4) != 0 ? 'r' : '-').append((b & 2) != 0 ? 'w' : '-').append('-');
      }
      return PosixFilePermissions.fromString(rwx.toString());
    }

    private Duration duration(JsonNode node, String at, String key, String fallback) {
      String text = node.has(key) ? text(node.get(key), at + "/" + key) : fallback;
      try {
        return Durations.parse(text);
      } catch (KeyturnException | IllegalArgumentException e) {
        throw error(at + "/" + key, "a duration such as 10s, 2m or 1h");
      }
    }

    private Duration positive(Duration d, String at) {
      if (!d.isPositive()) {
        throw error(at, "must be longer than zero");
      }
      return d;
    }

    private void known(JsonNode node, String at, Set<String> keys) {
      for (Iterator<String> it = node.propertyNames().iterator(); it.hasNext(); ) {
        String key = it.next();
        if (!keys.contains(key)) {
          throw error(at + "/" + key, "unknown key (see docs/agent.md)");
        }
      }
    }

    private String required(JsonNode node, String at, String key) {
      if (!node.has(key)) {
        throw error(at, key + " is required");
      }
      return text(node.get(key), at + "/" + key);
    }

    private Optional<String> optional(JsonNode node, String at, String key) {
      return node.has(key) ? Optional.of(text(node.get(key), at + "/" + key)) : Optional.empty();
    }

    private String text(JsonNode node, String at) {
      if (node == null || !node.isValueNode() || node.isNull()) {
        throw error(at, "a single value is expected");
      }
      String text = node.asString();
      if (text.isEmpty()) {
        throw error(at, "may not be empty");
      }
      return text;
    }

    private Path path(String text) {
      Path p = Path.of(text);
      return p.isAbsolute() ? p : file.toAbsolutePath().getParent().resolve(p).normalize();
    }

    private KeyturnException.InvalidInput error(String pointer, String message) {
      String p = pointer;
      Integer line = null;
      while (line == null && !p.isEmpty()) {
        line = lines.get(p);
        p = p.substring(0, p.lastIndexOf('/'));
      }
      String key = pointer.isEmpty() ? "" : " " + key(pointer) + ":";
      return new KeyturnException.InvalidInput(
          file + (line == null ? "" : ":" + line) + ":" + key + " " + message);
    }

    private static String key(String pointer) {
      StringBuilder out = new StringBuilder();
      for (String part : pointer.substring(1).split("/")) {
        if (part.matches("[0-9]+")) {
          out.append('[').append(part).append(']');
        } else {
          out.append(out.isEmpty() ? "" : ".").append(part);
        }
      }
      return out.toString();
    }
  }
}
