package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.WireJson;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link PrettyJson} writes what the client's Jackson mapper pretty-prints, byte for byte, and so
 * does {@code scan --format json} through it.
 */
class PrettyJsonTest {
  @Test
  void write_nestedValuesAndHostileStrings_matchJacksonsPrettyPrinter() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("x", List.of(1, "y", Map.of("z", List.of(Map.of("w", 1)))));
    inner.put("empty", Map.of());
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("text", "q\"\\\n\r\t\b\f\u0001\u001f\u007f é ✓ \uD83D\uDE00 </script> ' ; --");
    doc.put("none", List.of());
    doc.put("nothing", Map.of());
    doc.put("null", null);
    doc.put("int", -5);
    doc.put("long", 1L << 40);
    doc.put("yes", true);
    doc.put("list", List.of(inner, inner, "s", List.of(List.of())));
    doc.put("nested", inner);

    String written = PrettyJson.write(doc);

    assertThat(written)
        .isEqualTo(WireJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc));
  }

  @Test
  void scanReportJson_matchesJacksonsRenderingOfTheSameReport() {
    ScanFinding finding =
        new ScanFinding(
            ScanFinding.MANAGED,
            "error",
            "app/KEY",
            3,
            "current",
            null,
            "raw",
            "src/a \"b\"\\é.py",
            10,
            2,
            5,
            null,
            null);
    ScanReport.Result result =
        new ScanReport.Result(
            List.of(finding, finding),
            List.of(new ScanIndex.Unsearched("app/PIN", 1, "previous", 4)),
            List.of(new ScanJob.Skipped("big.bin", "larger than --max-size")),
            2,
            7,
            1L << 33,
            true);
    Map<String, Object> doc = new LinkedHashMap<>();
    Map<String, Object> f = new LinkedHashMap<>();
    for (String key :
        List.of(
            "rule",
            "level",
            "secret",
            "version",
            "stage",
            "field",
            "encoding",
            "path",
            "line",
            "column",
            "commit")) {
      f.put(key, null);
    }
    f.putAll(
        Map.of(
            "rule",
            "managed-value",
            "level",
            "error",
            "secret",
            "app/KEY",
            "version",
            3,
            "stage",
            "current",
            "encoding",
            "raw",
            "path",
            "src/a \"b\"\\é.py",
            "line",
            2,
            "column",
            5));
    doc.put("findings", List.of(f, f));
    doc.put("unsearched", result.unsearched());
    doc.put("skipped", result.skipped());
    doc.put("unreadable", 2);
    doc.put("files", 7L);
    doc.put("bytes", 1L << 33);

    assertThat(ScanReport.json(result))
        .isEqualTo(WireJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc));
  }
}
