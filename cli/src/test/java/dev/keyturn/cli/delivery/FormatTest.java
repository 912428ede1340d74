package dev.keyturn.cli.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every format read back byte-exact by the program it is named for. */
class FormatTest {
  static final String PEM =
      "-----BEGIN PRIVATE KEY-----\n"
          + "MC4CAQAwBQYDK2VwBCIEIHp3kZ7d1Yt0x4m9oQ8bW2JkX5v1n6c3s0f2a7e9d1c4\n"
          + "-----END PRIVATE KEY-----\n";

  /** Values that break naive quoting, by variable. */
  static Map<String, String> hostile() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("PLAIN", "a3f1c2e9");
    v.put("DOUBLE_QUOTE", "say \"hi\"");
    v.put("SINGLE_QUOTE", "it's");
    v.put("DOLLAR", "dt5@@x-m@-!fco)w!_$6l9$%9814@d91+^9u=td2mv_f8bpyjv $HOME $(id)");
    v.put("HASH", "a #not a comment");
    v.put("HASH_FIRST", "#x");
    v.put("BACKSLASH", "a\\b\\\\c\\n\\\"");
    v.put("BACKSLASH_END_PLAIN", "abc\\");
    v.put("BACKTICK", "`id` and ``");
    v.put("SPACES", "  two leading, two trailing  ");
    v.put("TAB", "a\tb");
    v.put("NEWLINES", "line one\nline two\n");
    v.put("CRLF", "a\r\nb\rc");
    v.put("PEM", PEM);
    v.put("NON_ASCII", "ąęół śćńźżμ 日本語 😀 \u00a0nbsp");
    v.put("EMPTY", "");
    v.put("EQUALS", "a=b==");
    v.put("JSON", "{\"engine\":\"postgresql\",\"password\":\"p'\\\"w\"}");
    v.put("YAML_LOOKALIKE", "yes: no\n- [x]\n&a *a !!str ~");
    return v;
  }

  static Variables variables(Map<String, String> values) {
    Variables vars = new Variables();
    values.forEach((k, val) -> vars.add(k, "app/" + k, val));
    return vars;
  }

  @TempDir Path dir;

  private Path render(Format format, Map<String, String> values, Optional<String> name)
      throws Exception {
    Path file = dir.resolve("out." + format.id());
    Files.writeString(file, format.render(variables(values), name), StandardCharsets.UTF_8);
    return file;
  }

  @Test
  void dotenv_readsBackExactlyInPythonDotenv() throws Exception {
    Path file = render(Format.DOTENV, hostile(), Optional.empty());

    assertThat(Consumers.dotenv(file)).containsExactlyEntriesOf(hostile());
  }

  @Test
  void yaml_readsBackExactlyInPyYaml() throws Exception {
    Path file = render(Format.YAML, hostile(), Optional.empty());

    assertThat(Consumers.yaml(file)).containsExactlyEntriesOf(hostile());
  }

  @Test
  void json_readsBackExactlyInPython() throws Exception {
    Path file = render(Format.JSON, hostile(), Optional.empty());

    assertThat(Consumers.json(file)).containsExactlyEntriesOf(hostile());
  }

  @Test
  void k8sSecret_readsBackExactly_namedAsAsked() throws Exception {
    Path file = render(Format.K8S_SECRET, hostile(), Optional.of("web.app-1"));

    Map<String, String> expected = new LinkedHashMap<>(hostile());
    expected.put("@name", "web.app-1");
    assertThat(Consumers.k8sSecret(file)).containsExactlyInAnyOrderEntriesOf(expected);
  }

  @Test
  void systemd_readsBackExactlyBySystemdRules() throws Exception {
    Path file = render(Format.SYSTEMD, hostile(), Optional.empty());

    assertThat(Consumers.systemd(file)).containsExactlyEntriesOf(hostile());
  }

  @Test
  void dockerEnv_readsBackExactly_whatHasNoLineBreak() throws Exception {
    Map<String, String> oneLine = new LinkedHashMap<>(hostile());
    oneLine.values().removeIf(v -> v.contains("\n") || v.contains("\r"));

    Path file = render(Format.DOCKER_ENV, oneLine, Optional.empty());

    assertThat(Consumers.dockerEnv(file)).containsExactlyEntriesOf(oneLine);
  }

  @Test
  void emptyMapping_readsBackEmptyEverywhere() throws Exception {
    assertThat(Consumers.yaml(render(Format.YAML, Map.of(), Optional.empty()))).isEmpty();
    assertThat(Consumers.json(render(Format.JSON, Map.of(), Optional.empty()))).isEmpty();
    assertThat(Consumers.k8sSecret(render(Format.K8S_SECRET, Map.of(), Optional.of("n"))))
        .containsOnlyKeys("@name");
  }

  @Test
  void valueAFormatCannotCarry_isRefusedNamingTheVariable_neverTheValue() {
    String canary = "canary-7f3e";
    Variables newline = variables(Map.of("MULTI", canary + "\nx"));
    Variables expansion = variables(Map.of("EXPANDS", canary + "${HOME}"));
    Variables trailing = variables(Map.of("ENDS", canary + " \\"));
    Variables nul = variables(Map.of("NUL", canary + "\0"));
    Variables nonchar = variables(Map.of("NONCHAR", canary + "\ufffe"));
    Variables surrogate = variables(Map.of("LONE", canary + "\ud800"));

    assertRefused(() -> Format.DOCKER_ENV.render(newline, Optional.empty()), "MULTI", canary);
    assertRefused(() -> Format.DOTENV.render(expansion, Optional.empty()), "EXPANDS", canary);
    assertRefused(() -> Format.DOTENV.render(trailing, Optional.empty()), "ENDS", canary);
    assertRefused(() -> Format.SYSTEMD.render(nul, Optional.empty()), "NUL", canary);
    assertRefused(() -> Format.DOTENV.render(nul, Optional.empty()), "NUL", canary);
    assertRefused(() -> Format.SYSTEMD.render(nonchar, Optional.empty()), "NONCHAR", canary);
    assertRefused(() -> Format.JSON.render(surrogate, Optional.empty()), "LONE", canary);
    assertRefused(() -> Format.YAML.render(surrogate, Optional.empty()), "LONE", canary);
  }

  @Test
  void valuesOtherFormatsRefuse_areCarriedWhereTheyCan() throws Exception {
    Map<String, String> odd = Map.of("EXPANDS", "x${HOME}y", "NONCHAR", "a\ufffeb", "NUL", "a\0b");

    assertThat(Consumers.yaml(render(Format.YAML, odd, Optional.empty())))
        .containsExactlyInAnyOrderEntriesOf(odd);
    assertThat(Consumers.json(render(Format.JSON, odd, Optional.empty())))
        .containsExactlyInAnyOrderEntriesOf(odd);
  }

  @Test
  void k8sSecret_needsADns1123Name() {
    Variables v = variables(Map.of("A", "canary-9d1"));

    assertRefused(() -> Format.K8S_SECRET.render(v, Optional.empty()), "--name", "canary-9d1");
    assertRefused(
        () -> Format.K8S_SECRET.render(v, Optional.of("Web_App")), "Web_App", "canary-9d1");
    assertRefused(() -> Format.K8S_SECRET.render(v, Optional.of("-web")), "-web", "canary-9d1");
    assertRefused(
        () -> Format.K8S_SECRET.render(v, Optional.of("a".repeat(254))), "DNS", "canary-9d1");
    assertRefused(() -> Format.DOTENV.render(v, Optional.of("web")), "--name", "canary-9d1");
  }

  @Test
  void unknownFormat_isRefusedListingTheFormats() {
    assertThatThrownBy(() -> Format.of("toml"))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("dotenv, docker-env, json, yaml, systemd, k8s-secret");
  }

  private static void assertRefused(Runnable render, String named, String canary) {
    assertThatThrownBy(render::run)
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining(named)
        .hasMessageNotContaining(canary);
  }
}
