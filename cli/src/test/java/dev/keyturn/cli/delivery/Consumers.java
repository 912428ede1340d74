package dev.keyturn.cli.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The programs that read rendered files: Debian's python3-dotenv and python3-yaml (through
 * /usr/bin/python3), Python's json, and readers of Docker's {@code --env-file} and systemd's
 * environment files written after their sources. A missing Python module skips the test with a
 * message, or fails it when KEYTURN_IT=1 (CI installs them, see .ci/run).
 */
public final class Consumers {
  static final String PYTHON = "/usr/bin/python3";

  private Consumers() {}

  public static Map<String, String> dotenv(Path file) {
    return python(
        "python3-dotenv",
        "import dotenv, json, sys; print(json.dumps(dotenv.dotenv_values(sys.argv[1])))",
        file);
  }

  public static Map<String, String> yaml(Path file) {
    return python(
        "python3-yaml",
        "import yaml, json, sys\n"
            + "print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))))",
        file);
  }

  public static Map<String, String> json(Path file) {
    return python(
        "python3",
        "import json, sys; print(json.dumps(json.load(open(sys.argv[1], encoding='utf-8'))))",
        file);
  }

  /** A Kubernetes Secret as PyYAML reads it, with its data decoded from base64 as UTF-8. */
  public static Map<String, String> k8sSecret(Path file) {
    return python(
        "python3-yaml",
        "import yaml, json, sys, base64\n"
            + "s = yaml.safe_load(open(sys.argv[1], encoding='utf-8'))\n"
            + "assert s['apiVersion'] == 'v1' and s['kind'] == 'Secret' and s['type'] == 'Opaque'\n"
            + "d = {k: base64.b64decode(v, validate=True).decode('utf-8') for k, v in"
            + " s['data'].items()}\n"
            + "d['@name'] = s['metadata']['name']\n"
            + "print(json.dumps(d))",
        file);
  }

  /** Docker's opts/envfile.go parseKeyValueFile: trims the line's start, skips '#' lines. */
  public static Map<String, String> dockerEnv(Path file) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : Files.readString(file, StandardCharsets.UTF_8).split("\n", -1)) {
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      line = line.stripLeading();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      assertThat(eq).as("docker env line without '='").isPositive();
      out.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return out;
  }

  public static Map<String, String> systemd(Path file) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> assignments = SystemdEnvFile.load(Files.readString(file, StandardCharsets.UTF_8));
    for (String a : assignments) {
      int eq = a.indexOf('=');
      out.put(a.substring(0, eq), a.substring(eq + 1));
    }
    return out;
  }

  private static Map<String, String> python(String module, String script, Path file) {
    boolean required = "1".equals(System.getenv("KEYTURN_IT"));
    try {
      Process p =
          new ProcessBuilder(PYTHON, "-c", script, file.toString())
              .redirectErrorStream(false)
              .start();
      byte[] out = p.getInputStream().readAllBytes();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(60, TimeUnit.SECONDS);
      if (p.exitValue() != 0 && err.contains("ModuleNotFoundError") && !required) {
        Assumptions.abort("needs Debian's " + module + " (apt-get install " + module + ")");
      }
      assertThat(p.exitValue()).as(module + ": " + err).isZero();
      return JsonMapper.builder()
          .build()
          .readValue(out, new TypeReference<LinkedHashMap<String, String>>() {});
    } catch (IOException e) {
      if (!required) {
        Assumptions.abort("needs " + PYTHON + ": " + e.getMessage());
      }
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
