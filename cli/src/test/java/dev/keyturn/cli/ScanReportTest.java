package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The text report: what a hostile tree or server puts in names never reaches the terminal raw. */
class ScanReportTest {
  @Test
  void text_replacesControlAndBidiCharacters_inPathsNamesAndFields() {
    String path = "src/\u001b]0;pwned\u0007x\u001b[2J.env\nFAKE:1:1: ok\u202etxt.js";
    ScanFinding f =
        new ScanFinding(
            ScanFinding.MANAGED,
            "error",
            "app/\u001b[31mKEY",
            3,
            "current",
            "pass\u2028word",
            "base64",
            path,
            0,
            2,
            5,
            null,
            null);
    String text =
        ScanReport.text(new ScanReport.Result(List.of(f), List.of(), List.of(), 0, 1, 10, true));

    assertThat(text)
        .isEqualTo(
            "src/?]0;pwned?x?[2J.env?FAKE:1:1: ok?txt.js:2:5: error managed-value app/?[31mKEY#3"
                + " (current, field pass?word, base64)\n");
    assertThat(text.chars().filter(c -> c < 0x20 || c == 0x7f).toArray()).containsExactly('\n');
  }

  @Test
  void printable_keepsOrdinaryText() {
    assertThat(ScanReport.printable("srv/ünïcödé/日本.env: ok")).isEqualTo("srv/ünïcödé/日本.env: ok");
  }
}
