package dev.keyturn.cli.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What {@code run --watch} follows ({@link MappingSpec#covers}), and how it reacts. */
class WatchRulesTest {
  private static MappingSpec spec(List<String> paths, String... secrets) {
    return new MappingSpec(
        paths,
        java.util.Arrays.stream(secrets).map(s -> MappingSpec.Entry.parse(s, false)).toList(),
        false);
  }

  @Test
  void covers_oneLevelBelowPathsAndNamedSecrets_only() {
    MappingSpec spec = spec(List.of("app/dev"), "shared/db=DATABASE_URL:url");

    assertThat(spec.covers("app/dev/SECRET_KEY")).isTrue();
    assertThat(spec.covers("shared/db")).isTrue();
    assertThat(spec.covers("app/dev")).isFalse();
    assertThat(spec.covers("app/dev/deeper/X")).isFalse();
    assertThat(spec.covers("app/devx/SECRET_KEY")).isFalse();
    assertThat(spec.covers("shared/db2")).isFalse();
    assertThat(spec.covers("shared/db/x")).isFalse();
  }

  @Test
  void watchFolder_isTheSegmentsEveryNameShares() {
    assertThat(spec(List.of("app/dev")).watchFolder()).isEqualTo("app/dev");
    assertThat(spec(List.of(), "app/dev/X").watchFolder()).isEqualTo("app/dev/X");
    assertThat(spec(List.of("app/dev", "app/prod")).watchFolder()).isEqualTo("app");
    assertThat(spec(List.of("app/dev"), "app/devx/X").watchFolder()).isEqualTo("app");
    assertThat(spec(List.of("app/dev"), "shared/db").watchFolder()).isEmpty();
  }

  @Test
  void onChange_parsesRestartAndSignals_refusesTheRest() {
    assertThat(OnChange.parse("restart")).isEqualTo(OnChange.restart());
    assertThat(OnChange.parse("signal:HUP").signal()).contains("HUP");
    assertThat(OnChange.parse("signal:sigusr1").signal()).contains("USR1");

    for (String bad :
        List.of("signal:KILL9", "signal:", "signal:HUP;rm -rf /", "reload", "signal:HUP\r\nX")) {
      assertThatThrownBy(() -> OnChange.parse(bad))
          .isInstanceOf(KeyturnException.InvalidInput.class)
          .hasMessageNotContaining("\n")
          .hasMessageNotContaining("\r");
    }
    assertThatThrownBy(() -> new OnChange(Optional.of("KILL")))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }

  @Test
  void sameAs_comparesNamesAndValues() {
    Variables a = new Variables();
    a.add("A", "app/A", "one");
    Variables same = new Variables();
    same.add("A", "app/A", "one");
    Variables other = new Variables();
    other.add("A", "app/A", "two");
    Variables more = new Variables();
    more.add("A", "app/A", "one");
    more.add("B", "app/B", "one");

    assertThat(a.sameAs(same)).isTrue();
    assertThat(a.sameAs(other)).isFalse();
    assertThat(a.sameAs(more)).isFalse();
    assertThat(more.sameAs(a)).isFalse();
  }
}
