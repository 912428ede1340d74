package dev.keyturn.cli.delivery;

import dev.keyturn.core.KeyturnException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The environment variables a mapping produces, in mapping order: name to value. Holds secret
 * values, so it is not a record and {@code toString} names the variables only. Not thread-safe.
 */
public final class Variables {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> sources = new LinkedHashMap<>();
  private final Map<String, Holding> holdings = new LinkedHashMap<>();

  /**
   * The versions of one secret the variables carry: {@code using} the current one, {@code
   * accepting} every version delivered (a keyring's), for the consumer registration.
   */
  public record Holding(String secret, int using, List<Integer> accepting) {
    public Holding {
      accepting = List.copyOf(accepting);
    }
  }

  /**
   * Notes that the variables carry version {@code using} of {@code secret} (and {@code accepting}).
   */
  public void held(String secret, int using, List<Integer> accepting) {
    Holding old = holdings.get(secret);
    java.util.Set<Integer> all = new java.util.LinkedHashSet<>(accepting);
    if (old != null) {
      all.addAll(old.accepting());
    }
    holdings.put(secret, new Holding(secret, using, List.copyOf(all)));
  }

  /**
   * The versions the variables carry, by secret, in mapping order (versions only, never values).
   */
  public List<Holding> holdings() {
    return List.copyOf(holdings.values());
  }

  /**
   * Variables that change how a program, its shell, its dynamic loader or its runtime finds and
   * runs code, whom it trusts or where its traffic goes (compared upper-cased): a writer under a
   * mapped path could otherwise run code in every consumer by storing {@code app/LD_PRELOAD}.
   */
  private static final Set<String> GUARDED =
      Set.of(
          "PATH",
          "IFS",
          "ENV",
          "BASH_ENV",
          "SHELLOPTS",
          "BASHOPTS",
          "PS4",
          "PROMPT_COMMAND",
          "CDPATH",
          "HOME",
          "SHELL",
          "CLASSPATH",
          "JAVA_TOOL_OPTIONS",
          "_JAVA_OPTIONS",
          "JDK_JAVA_OPTIONS",
          "NODE_OPTIONS",
          "NODE_PATH",
          "NODE_EXTRA_CA_CERTS",
          "RUBYOPT",
          "RUBYLIB",
          "GCONV_PATH",
          "HOSTALIASES",
          "RESOLV_HOST_CONF",
          "LOCALDOMAIN",
          "NLSPATH",
          "SSL_CERT_FILE",
          "SSL_CERT_DIR",
          "CURL_CA_BUNDLE",
          "REQUESTS_CA_BUNDLE",
          "HTTP_PROXY",
          "HTTPS_PROXY",
          "ALL_PROXY",
          "NO_PROXY",
          "FTP_PROXY",
          "DOTNET_STARTUP_HOOKS",
          "GLIBC_TUNABLES",
          "TZDIR",
          "TERMINFO",
          "EDITOR",
          "VISUAL",
          "PAGER");

  private static final List<String> GUARDED_PREFIXES =
      List.of(
          "LD_",
          "DYLD_",
          "BASH_FUNC_",
          "PYTHON",
          "PERL",
          "GIT_",
          "KEYTURN_",
          "CORECLR_",
          "COR_PROFILER",
          "MALLOC_");

  /** True if {@code name} changes how programs run (see {@link #GUARDED}). */
  public static boolean guarded(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    return GUARDED.contains(upper) || GUARDED_PREFIXES.stream().anyMatch(upper::startsWith);
  }

  /** True if {@code name} is a variable name every format and shell accepts. */
  public static boolean validName(String name) {
    return NAME.matcher(name).matches();
  }

  /**
   * Adds {@code variable} with the value of {@code secret}.
   *
   * @throws KeyturnException.InvalidInput when the name is invalid or already taken; the message
   *     names the secret(s), never a value
   */
  public void add(String variable, String secret, String value) {
    add(variable, true, secret, value);
  }

  /**
   * As {@link #add(String, String, String)}; a name that was not given by the person running the
   * mapping ({@code named} false: it is the secret's last segment) may not be a {@linkplain
   * #guarded guarded} one.
   */
  public void add(String variable, boolean named, String secret, String value) {
    if (!named && guarded(variable)) {
      throw new KeyturnException.InvalidInput(
          secret
              + ": refusing to set "
              + variable
              + " from a secret's name: it changes how programs run (loader, shell, runtime, CA"
              + " or proxy), and anyone who may write under the path chooses the name; if it is"
              + " meant, map it by name with --secret "
              + secret
              + "="
              + variable);
    }
    if (!validName(variable)) {
      throw new KeyturnException.InvalidInput(
          secret
              + ": '"
              + variable
              + "' is not a variable name (letters, digits and '_', not starting with a digit);"
              + " map it with --secret "
              + secret
              + "=NAME");
    }
    String other = sources.get(variable);
    if (other != null) {
      throw new KeyturnException.InvalidInput(
          "two secrets for variable " + variable + ": " + other + " and " + secret);
    }
    values.put(variable, value);
    sources.put(variable, secret);
  }

  /** The values by variable name, in mapping order (unmodifiable view). */
  public Map<String, String> reveal() {
    return Collections.unmodifiableMap(values);
  }

  /** The secret each variable comes from. */
  public Map<String, String> sources() {
    return Collections.unmodifiableMap(sources);
  }

  /**
   * Whether {@code other} holds the same variables with the same values; values are compared in
   * constant time.
   */
  public boolean sameAs(Variables other) {
    if (!values.keySet().equals(other.values.keySet())) {
      return false;
    }
    boolean same = true;
    for (Map.Entry<String, String> v : values.entrySet()) {
      same &=
          java.security.MessageDigest.isEqual(
              v.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8),
              other.values.get(v.getKey()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return same;
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  @Override
  public String toString() {
    return "Variables" + values.keySet() + " [values redacted]";
  }
}
