package dev.keyturn.cli.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The mapping's rules, on a fake source; the real route is exercised by the command tests. */
class MappingTest {
  /** A source over fixed secrets: name to current value and keyring others. */
  static final class FakeSource implements SecretSource {
    final Map<String, Fetched> secrets = new TreeMap<>();
    final List<String> requests = new ArrayList<>();

    FakeSource put(String name, String value, String... others) {
      secrets.put(name, new Fetched(name, value, value.startsWith("{"), List.of(others)));
      return this;
    }

    @Override
    public List<Fetched> below(String prefix, boolean keyrings) {
      requests.add("below " + prefix);
      return secrets.values().stream()
          .filter(f -> f.name().startsWith(prefix + "/"))
          .filter(f -> f.name().indexOf('/', prefix.length() + 1) < 0)
          .map(f -> keyrings ? f : new Fetched(f.name(), f.reveal(), f.json(), List.of()))
          .toList();
    }

    @Override
    public Optional<Fetched> one(String name, boolean keyring) {
      requests.add("one " + name);
      return Optional.ofNullable(secrets.get(name))
          .map(f -> keyring ? f : new Fetched(f.name(), f.reveal(), f.json(), List.of()));
    }
  }

  private final FakeSource source =
      new FakeSource()
          .put("app/prod/SECRET_KEY", "current", "pending", "previous-newest", "previous-older")
          .put("app/prod/API_TOKEN", "tok")
          .put("app/prod/deep/NESTED", "no")
          .put(
              "app/prod/db.main",
              "{\"engine\":\"postgresql\",\"host\":\"db\",\"port\":5432,"
                  + "\"dbname\":\"app\",\"username\":\"u\",\"password\":\"p@ss word\"}")
          .put("app/shared/SMTP", "smtp-pass");
  private final List<String> warnings = new ArrayList<>();

  private Variables resolve(List<String> paths, boolean keyrings, String... secrets) {
    List<MappingSpec.Entry> entries = new ArrayList<>();
    for (String s : secrets) {
      boolean optional = s.startsWith("?");
      entries.add(MappingSpec.Entry.parse(optional ? s.substring(1) : s, optional));
    }
    return new Mapping(source, warnings::add).resolve(new MappingSpec(paths, entries, keyrings));
  }

  @Test
  void path_mapsOneLevelByLastSegment_inOneRequest_explicitEntryWins() {
    Variables v = resolve(List.of("app/prod"), false, "app/prod/db.main=DATABASE_URL:url");

    assertThat(v.reveal())
        .containsExactly(
            Map.entry("API_TOKEN", "tok"),
            Map.entry("SECRET_KEY", "current"),
            Map.entry("DATABASE_URL", "postgresql://u:p%40ss%20word@db:5432/app"));
    assertThat(source.requests).containsExactly("below app/prod", "one app/prod/db.main");
  }

  @Test
  void namesThatChangeHowProgramsRun_takenFromASecretsName_areRefused_butMayBeMappedByName() {
    // A writer under app/dev chooses the secret's name: LD_PRELOAD, BASH_ENV, PATH ... would let
    // a value run code in every program started with the mapping.
    for (String name :
        List.of(
            "LD_PRELOAD",
            "ld_library_path",
            "BASH_ENV",
            "ENV",
            "PATH",
            "NODE_OPTIONS",
            "PYTHONPATH",
            "PERL5OPT",
            "JAVA_TOOL_OPTIONS",
            "BASH_FUNC_ls%%",
            "GIT_SSH_COMMAND",
            "KEYTURN_TOKEN",
            "https_proxy",
            "SSL_CERT_FILE",
            "DYLD_INSERT_LIBRARIES",
            "IFS")) {
      if (!Variables.validName(name)) {
        continue;
      }
      FakeSource hostile = new FakeSource().put("app/dev/" + name, "/tmp/evil.so");
      for (boolean keyrings : List.of(false, true)) {
        assertThatThrownBy(() ->
                new Mapping(hostile, warnings::add)
                    .resolve(new MappingSpec(List.of("app/dev"), List.of(), keyrings)))
            .as(name)
            .isInstanceOf(KeyturnException.InvalidInput.class)
            .hasMessageContaining("app/dev/" + name + ": refusing to set " + name)
            .hasMessageContaining("--secret app/dev/" + name + "=" + name)
            .hasMessageNotContaining("evil");
      }
      // --secret NAME alone takes the name from the secret too
      assertThatThrownBy(() ->
              new Mapping(hostile, warnings::add)
                  .resolve(
                      new MappingSpec(
                          List.of(),
                          List.of(MappingSpec.Entry.parse("app/dev/" + name, false)),
                          false)))
          .as(name)
          .isInstanceOf(KeyturnException.InvalidInput.class);
      // the person running the mapping may name it
      assertThat(
              new Mapping(hostile, warnings::add)
                  .resolve(
                      new MappingSpec(
                          List.of(),
                          List.of(MappingSpec.Entry.parse("app/dev/" + name + "=" + name, false)),
                          false))
                  .reveal())
          .containsEntry(name, "/tmp/evil.so");
    }
    // ordinary application settings are untouched, NODE_ENV and HOMEPAGE_URL included
    FakeSource ordinary =
        new FakeSource()
            .put("app/dev/NODE_ENV", "production")
            .put("app/dev/HOMEPAGE_URL", "https://example.com")
            .put("app/dev/DATABASE_URL", "postgresql://db/app");
    assertThat(
            new Mapping(ordinary, warnings::add)
                .resolve(new MappingSpec(List.of("app/dev"), List.of(), false))
                .reveal())
        .containsOnlyKeys("NODE_ENV", "HOMEPAGE_URL", "DATABASE_URL");
  }

  @Test
  void path_secretWhoseLastSegmentIsNoVariableName_isRefusedNamingIt() {
    assertThatThrownBy(() -> resolve(List.of("app/prod"), false))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("app/prod/db.main")
        .hasMessageNotContaining("p@ss");
  }

  @Test
  void keyring_addsFallbacksPendingFirstThenPreviousNewestFirst_andOld() {
    Variables v =
        resolve(List.of(), false, "app/prod/SECRET_KEY:keyring", "app/prod/API_TOKEN=T:keyring");

    assertThat(v.reveal())
        .containsExactly(
            Map.entry("SECRET_KEY", "current"),
            Map.entry(
                "SECRET_KEY_FALLBACKS", "[\"pending\",\"previous-newest\",\"previous-older\"]"),
            Map.entry("SECRET_KEY_OLD", "pending"),
            Map.entry("T", "tok"),
            Map.entry("T_FALLBACKS", "[]"),
            Map.entry("T_OLD", ""));
  }

  @Test
  void refusals_nameTheSecret_neverAValue() {
    assertRefused(() -> resolve(List.of(), false, "app/prod/API_TOKEN=1BAD"), "app/prod/API_TOKEN");
    assertRefused(
        () -> resolve(List.of(), false, "app/prod/API_TOKEN=X", "app/shared/SMTP=X"),
        "app/shared/SMTP");
    assertRefused(
        () -> resolve(List.of("app/shared"), true, "app/prod/API_TOKEN=SMTP_OLD"), "SMTP_OLD");
    assertRefused(() -> resolve(List.of(), false, "app/prod/API_TOKEN:url"), "app/prod/API_TOKEN");
    assertThatThrownBy(() -> resolve(List.of(), false, "app/prod/MISSING"))
        .isInstanceOf(KeyturnException.NotFound.class)
        .hasMessageContaining("app/prod/MISSING");
    assertThatThrownBy(() -> MappingSpec.Entry.parse("app/x:yaml", false))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("app/x:yaml");
    assertThatThrownBy(() -> MappingSpec.Entry.parse("../x", false))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }

  @Test
  void optional_absentOnlyWarns() {
    Variables v = resolve(List.of(), false, "?app/prod/PAYSTACK=PAY", "app/shared/SMTP");

    assertThat(v.reveal()).containsExactly(Map.entry("SMTP", "smtp-pass"));
    assertThat(warnings)
        .containsExactly("optional secret app/prod/PAYSTACK is absent; PAY is not set");
  }

  @Test
  void jsonValue_isJsonText_andJdbcRendersTheUrl() {
    Variables v = resolve(List.of(), false, "app/prod/db.main=DB", "app/prod/db.main=JDBC:jdbc");

    assertThat(v.reveal().get("DB")).startsWith("{\"engine\":\"postgresql\"");
    assertThat(v.reveal().get("JDBC")).startsWith("jdbc:postgresql://db:5432/app");
    assertThat(v.toString()).doesNotContain("p@ss").contains("DB", "JDBC");
  }

  private static void assertRefused(Runnable r, String named) {
    assertThatThrownBy(r::run)
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining(named)
        .hasMessageNotContaining("current")
        .hasMessageNotContaining("tok\"");
  }
}
