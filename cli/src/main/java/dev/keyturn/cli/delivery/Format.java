package dev.keyturn.cli.delivery;

import dev.keyturn.core.KeyturnException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The file formats {@code render} writes, each named by the dialect of the program that reads it,
 * and each read back byte-exact by that program. A value a format cannot carry exactly is refused
 * with an error that names the variable (never the value); nothing is written then.
 */
public enum Format {
  /** python-dotenv's {@code .env}: double quotes with backslash escapes. */
  DOTENV("dotenv"),
  /** Docker's {@code --env-file}: one {@code KEY=value} a line, read literally. */
  DOCKER_ENV("docker-env"),
  /** One JSON object of strings. */
  JSON("json"),
  /** A YAML mapping of double-quoted strings (read by PyYAML's safe_load). */
  YAML("yaml"),
  /** systemd.exec(5) {@code EnvironmentFile=}: double quotes, backslash before {@code "\`$}. */
  SYSTEMD("systemd"),
  /** A Kubernetes {@code v1} {@code Opaque} {@code Secret} with base64 {@code data}. */
  K8S_SECRET("k8s-secret");

  private static final JsonMapper JSON_MAPPER =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
  private static final Pattern DOTENV_EXPANSION = Pattern.compile("\\$\\{[^}:]*(:-[^}]*)?}");
  private static final Pattern DNS_1123 =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private final String id;

  Format(String id) {
    this.id = id;
  }

  /** The name {@code --format} takes. */
  public String id() {
    return id;
  }

  /** The format {@code --format id} names. */
  public static Format of(String id) {
    for (Format f : values()) {
      if (f.id.equals(id)) {
        return f;
      }
    }
    throw new KeyturnException.InvalidInput(
        "--format: '" + id + "' is not one of dotenv, docker-env, json, yaml, systemd, k8s-secret");
  }

  /**
   * The file's text.
   *
   * @param name the {@code Secret}'s name for {@code k8s-secret} (DNS-1123), unused otherwise
   * @throws KeyturnException.InvalidInput when a value cannot be carried, naming its variable
   */
  public String render(Variables variables, Optional<String> name) {
    if (this == K8S_SECRET) {
      String n =
          name.orElseThrow(
              () -> new KeyturnException.InvalidInput("--format k8s-secret needs --name NAME"));
      if (n.length() > 253 || !DNS_1123.matcher(n).matches()) {
        throw new KeyturnException.InvalidInput(
            "--name: '" + n + "' is not a DNS-1123 name (a-z, 0-9, '-', '.'; at most 253)");
      }
    } else if (name.isPresent()) {
      throw new KeyturnException.InvalidInput("--name is for --format k8s-secret only");
    }
    StringBuilder out = new StringBuilder();
    if (this == JSON) {
      for (Map.Entry<String, String> v : variables.reveal().entrySet()) {
        checkUnicode(v.getKey(), v.getValue());
      }
      return JSON_MAPPER.writeValueAsString(variables.reveal()) + "\n";
    }
    if (this == YAML) {
      if (variables.isEmpty()) {
        return "{}\n";
      }
    }
    if (this == K8S_SECRET) {
      out.append("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ")
          .append(yamlString(name.get()))
          .append("\ntype: Opaque\ndata:")
          .append(variables.isEmpty() ? " {}\n" : "\n");
    }
    for (Map.Entry<String, String> v : variables.reveal().entrySet()) {
      String var = v.getKey();
      String value = v.getValue();
      checkUnicode(var, value);
      switch (this) {
        case DOTENV -> out.append(var).append('=').append(dotenv(var, value)).append('\n');
        case DOCKER_ENV -> out.append(var).append('=').append(dockerEnv(var, value)).append('\n');
        case SYSTEMD -> out.append(var).append('=').append(systemd(var, value)).append('\n');
        case YAML ->
            out.append(yamlString(var)).append(": ").append(yamlString(value)).append('\n');
        case K8S_SECRET ->
            out.append("  ")
                .append(yamlString(var))
                .append(": ")
                // Quoted: an empty value's "" would otherwise read back as null.
                .append('"')
                .append(Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)))
                .append("\"\n");
        case JSON -> throw new AssertionError("handled above");
      }
    }
    return out.toString();
  }

  private static KeyturnException.InvalidInput cannot(String format, String var, String why) {
    return new KeyturnException.InvalidInput(
        "--format " + format + " cannot carry the value of " + var + ": " + why);
  }

  /** Refuses what no UTF-8 file can hold: a lone surrogate. */
  private static void checkUnicode(String var, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new KeyturnException.InvalidInput(
            var + ": the value holds a lone UTF-16 surrogate, which UTF-8 cannot carry");
      }
    }
  }

  private static void checkNoNul(String format, String var, String value) {
    if (value.indexOf('\0') >= 0) {
      throw cannot(format, var, "it holds a NUL character, which no environment variable can");
    }
  }

  /**
   * python-dotenv (0.21, Debian 12): inside double quotes it decodes {@code \\ \" \n \r} (and
   * {@code \' \a \b \f \t \v}); every other character is literal. Its regex for a double-quoted
   * value would take a closing quote after a final backslash as escaped, so such a value is written
   * unquoted when it can be; and it expands {@code ${NAME}} in every value, quoted or not.
   */
  static String dotenv(String var, String value) {
    checkNoNul("dotenv", var, value);
    if (DOTENV_EXPANSION.matcher(value).find()) {
      throw cannot("dotenv", var, "python-dotenv would expand its ${...}");
    }
    if (value.endsWith("\\")) {
      if (!plainDotenv(value)) {
        throw cannot(
            "dotenv", var, "it ends in a backslash and holds spaces, quotes or line breaks");
      }
      return value;
    }
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(c);
      }
    }
    return out.append('"').toString();
  }

  /** A value python-dotenv reads unquoted as it is: no blank or control character, no quote. */
  private static boolean plainDotenv(String value) {
    if (value.startsWith("'") || value.startsWith("\"")) {
      return false;
    }
    return value
        .codePoints()
        .allMatch(c ->
            c > 0x20
                && c != 0x7f
                && !(c >= 0x80 && c <= 0xa0)
                && !Character.isWhitespace(c)
                && !Character.isSpaceChar(c));
  }

  /** Docker reads each line literally, up to the line break; a value cannot hold one. */
  static String dockerEnv(String var, String value) {
    checkNoNul("docker-env", var, value);
    if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw cannot("docker-env", var, "Docker's --env-file reads one line per variable");
    }
    return value;
  }

  /**
   * systemd.exec(5): inside double quotes, a backslash before {@code " \ ` $} yields that character
   * and every other character (line breaks included) is kept; systemd refuses values that are not
   * valid UTF-8 by its rules, which exclude the Unicode noncharacters.
   */
  static String systemd(String var, String value) {
    checkNoNul("systemd", var, value);
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); ) {
      int c = value.codePointAt(i);
      i += Character.charCount(c);
      if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe) {
        throw cannot("systemd", var, "systemd refuses Unicode noncharacters such as U+FFFE");
      }
      if (c == '"' || c == '\\' || c == '`' || c == '$') {
        out.append('\\');
      }
      out.appendCodePoint(c);
    }
    return out.append('"').toString();
  }

  /**
   * A YAML double-quoted scalar: printable ASCII and printable non-ASCII as they are, everything
   * else (line breaks, tabs, controls, U+2028/2029, BOM, noncharacters) as an escape, so no YAML
   * line folding or reader check can change it.
   */
  static String yamlString(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); ) {
      int c = value.codePointAt(i);
      i += Character.charCount(c);
      if (c == '"' || c == '\\') {
        out.append('\\').appendCodePoint(c);
      } else if (c >= 0x20 && c < 0x7f) {
        out.appendCodePoint(c);
      } else if (c > 0xa0
          && c != 0x2028
          && c != 0x2029
          && c != 0xfeff
          && c < 0xfffe
          && !(c >= 0xd800 && c <= 0xdfff)) {
        out.appendCodePoint(c);
      } else if (c > 0xffff) {
        out.append(String.format("\\U%08x", c));
      } else if (c <= 0xff) {
        out.append(String.format("\\x%02x", c));
      } else {
        out.append(String.format("\\u%04x", c));
      }
    }
    return out.append('"').toString();
  }
}
