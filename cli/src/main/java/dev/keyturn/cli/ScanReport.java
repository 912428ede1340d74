package dev.keyturn.cli;

import dev.keyturn.api.WireJson;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code keyturn scan} prints, as text, JSON or SARIF 2.1.0: findings (never any part of a
 * value), versions not searched, files skipped and counts. SARIF has one rule per kind ({@code
 * managed-value} and each pattern id) and {@code partialFingerprints} from the rule, the secret's
 * name and version and the location, never from the value.
 */
final class ScanReport {
  private ScanReport() {}

  /** Everything one scan reports. */
  record Result(
      List<ScanFinding> findings,
      List<ScanIndex.Unsearched> unsearched,
      List<ScanJob.Skipped> skipped,
      int unreadable,
      long documents,
      long bytes,
      boolean managed) {}

  static String text(Result r) {
    StringBuilder out = new StringBuilder();
    for (ScanFinding f : r.findings()) {
      out.append(printable(textLine(f))).append('\n');
    }
    return out.toString();
  }

  /**
   * {@code text} for a terminal: every control character (C0, DEL, C1: escape sequences, carriage
   * returns, newlines), bidirectional override or isolate and line or paragraph separator becomes
   * {@code ?}. File names in a scanned tree, and names and fields a server sends, are not the
   * scanner's to trust: a repository could otherwise rewrite the terminal or hide a finding.
   */
  static String printable(String text) {
    StringBuilder clean = new StringBuilder(text.length());
    text.codePoints()
        .forEach(c ->
            clean.appendCodePoint(
                Character.isISOControl(c)
                        || (c >= 0x202a && c <= 0x202e)
                        || (c >= 0x2066 && c <= 0x2069)
                        || c == 0x2028
                        || c == 0x2029
                    ? '?'
                    : c));
    return clean.toString();
  }

  private static String textLine(ScanFinding f) {
    StringBuilder out = new StringBuilder();
    out.append(f.location()).append(": ").append(f.level()).append(' ').append(f.rule());
    if (f.managed()) {
      out.append(' ')
          .append(f.secret())
          .append('#')
          .append(f.version())
          .append(" (")
          .append(f.stage())
          .append(f.field() == null ? "" : ", field " + f.field())
          .append(f.encoding().equals("raw") ? "" : ", " + f.encoding())
          .append(')');
    }
    if (f.commit() != null) {
      out.append(" in commit ").append(f.commit());
    }
    return out.toString();
  }

  /** The summary line (for standard error with text output). */
  static String summary(Result r) {
    return "scanned "
        + r.documents()
        + (r.documents() == 1 ? " file" : " files")
        + " ("
        + r.bytes()
        + " bytes): "
        + r.findings().size()
        + (r.findings().size() == 1 ? " finding" : " findings")
        + (r.managed()
            ? ", "
                + r.unsearched().size()
                + " versions under 8 bytes not searched, "
                + r.unreadable()
                + " secrets not readable by this token"
            : ", managed values not searched (--patterns-only)")
        + (r.skipped().isEmpty() ? "" : ", " + r.skipped().size() + " skipped");
  }

  static String json(Result r) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("findings", r.findings().stream().map(ScanReport::findingMap).toList());
    doc.put("unsearched", r.unsearched().stream().map(ScanReport::unsearchedMap).toList());
    doc.put(
        "skipped",
        r.skipped().stream()
            .map(s -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("path", s.path());
              m.put("why", s.why());
              return m;
            })
            .toList());
    doc.put("unreadable", r.unreadable());
    doc.put("files", r.documents());
    doc.put("bytes", r.bytes());
    return PrettyJson.write(doc);
  }

  private static Map<String, Object> unsearchedMap(ScanIndex.Unsearched u) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", u.name());
    m.put("version", u.version());
    m.put("stage", u.stage());
    m.put("length", u.length());
    return m;
  }

  private static Map<String, Object> findingMap(ScanFinding f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rule", f.rule());
    m.put("level", f.level());
    m.put("secret", f.secret());
    m.put("version", f.version());
    m.put("stage", f.stage());
    m.put("field", f.field());
    m.put("encoding", f.encoding());
    m.put("path", f.path());
    m.put("line", f.line());
    m.put("column", f.column());
    m.put("commit", f.commit());
    return m;
  }

  static String sarif(Result r, String toolVersion) {
    List<Map<String, Object>> rules = new ArrayList<>();
    rules.add(
        rule(
            ScanFinding.MANAGED,
            "ManagedValue",
            "A value managed by Keyturn (a pending, current or previous version) appears here.",
            "error"));
    for (ScanRules.Rule rule : ScanRules.RULES) {
      rules.add(rule(rule.id(), pascal(rule.id()), rule.description(), "warning"));
    }
    List<Object> results = new ArrayList<>();
    for (ScanFinding f : r.findings()) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("ruleId", f.rule());
      result.put("ruleIndex", ruleIndex(f.rule()));
      result.put("level", f.level());
      result.put(
          "message",
          Map.of(
              "text",
              f.managed()
                  ? "Secret "
                      + f.secret()
                      + " version "
                      + f.version()
                      + " ("
                      + f.stage()
                      + (f.field() == null ? "" : ", field " + f.field())
                      + ") appears here ("
                      + f.encoding()
                      + ")."
                  : "Possible unmanaged secret: " + f.rule() + "."));
      Map<String, Object> region = new LinkedHashMap<>();
      region.put("startLine", f.line());
      region.put("startColumn", f.column());
      result.put(
          "locations",
          List.of(
              Map.of(
                  "physicalLocation",
                  Map.of("artifactLocation", Map.of("uri", uri(f.path())), "region", region))));
      result.put("partialFingerprints", Map.of("keyturnFinding/v1", fingerprint(f)));
      Map<String, Object> properties = new LinkedHashMap<>();
      if (f.managed()) {
        properties.put("secret", f.secret());
        properties.put("version", f.version());
        properties.put("stage", f.stage());
        properties.put("encoding", f.encoding());
        if (f.field() != null) {
          properties.put("field", f.field());
        }
      }
      if (f.commit() != null) {
        properties.put("commit", f.commit());
      }
      if (!properties.isEmpty()) {
        result.put("properties", properties);
      }
      results.add(result);
    }
    Map<String, Object> driver = new LinkedHashMap<>();
    driver.put("name", "keyturn scan");
    driver.put("version", toolVersion);
    driver.put("informationUri", "https://github.com/keyturn/keyturn/blob/main/docs/scan.md");
    driver.put("rules", rules);
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("tool", Map.of("driver", driver));
    run.put("columnKind", "unicodeCodePoints");
    run.put("results", results);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    doc.put("version", "2.1.0");
    doc.put("runs", List.of(run));
    return WireJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc);
  }

  private static Map<String, Object> rule(
      String id, String name, String description, String level) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("name", name);
    m.put("shortDescription", Map.of("text", description));
    m.put("fullDescription", Map.of("text", description + " See docs/scan.md."));
    m.put(
        "helpUri",
        "https://github.com/keyturn/keyturn/blob/main/docs/scan.md#"
            + (id.equals(ScanFinding.MANAGED) ? "managed-values" : "patterns"));
    m.put("defaultConfiguration", Map.of("level", level));
    return m;
  }

  private static int ruleIndex(String id) {
    if (id.equals(ScanFinding.MANAGED)) {
      return 0;
    }
    for (int i = 0; i < ScanRules.RULES.size(); i++) {
      if (ScanRules.RULES.get(i).id().equals(id)) {
        return i + 1;
      }
    }
    throw new IllegalArgumentException("unknown rule");
  }

  private static String pascal(String id) {
    StringBuilder out = new StringBuilder();
    for (String word : id.split("-")) {
      out.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
    }
    return out.toString();
  }

  /** A relative path as a relative URI reference; an absolute one as a file: URI. */
  static String uri(String path) {
    try {
      String p = path.replace('\\', '/');
      if (p.startsWith("/")) {
        return new URI("file", "", p, null).toASCIIString();
      }
      return new URI(null, null, p, null).toASCIIString();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("a path that makes no URI", e);
    }
  }

  /** SHA-256 of the rule, secret name, version, field, encoding, path, line, column and commit. */
  static String fingerprint(ScanFinding f) {
    String key =
        String.join(
            "\u0000",
            f.rule(),
            String.valueOf(f.secret()),
            String.valueOf(f.version()),
            String.valueOf(f.field()),
            String.valueOf(f.encoding()),
            f.path(),
            String.valueOf(f.line()),
            String.valueOf(f.column()),
            String.valueOf(f.commit()));
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
