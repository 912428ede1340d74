package dev.keyturn.cli;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The patterns {@code keyturn scan} reports unmanaged secrets by (ids and examples in
 * docs/scan.md). Each has literal anchors that must occur for it to match, looked for first; a line
 * holding {@code keyturn:ignore} is skipped. Matches are reported by offset only: never any part of
 * what matched. Stateless; safe to share between threads.
 */
final class ScanRules {
  static final String IGNORE = "keyturn:ignore";

  /** One pattern: its id, what it finds, its anchors and expression. */
  record Rule(String id, String description, List<String> anchors, Pattern pattern) {}

  static final List<Rule> RULES =
      List.of(
          new Rule(
              "aws-access-key-id",
              "An AWS access key id (AKIA..., ASIA...).",
              List.of("AKIA", "ASIA", "ABIA", "ACCA"),
              Pattern.compile("(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])")),
          new Rule(
              "github-token",
              "A GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_).",
              List.of("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
              Pattern.compile(
                  "(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,251})(?![A-Za-z0-9_])")),
          new Rule(
              "slack-token",
              "A Slack token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-).",
              List.of("xox"),
              Pattern.compile("(?<![A-Za-z0-9])xox[abeprs]-[A-Za-z0-9-]{10,250}")),
          new Rule(
              "stripe-live-key",
              "A Stripe live secret or restricted key (sk_live_, rk_live_).",
              List.of("sk_live_", "rk_live_"),
              Pattern.compile("(?<![A-Za-z0-9_])[sr]k_live_[A-Za-z0-9]{20,247}")),
          new Rule(
              "private-key",
              "A PEM private key block.",
              List.of("PRIVATE KEY-----"),
              Pattern.compile("-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----")),
          new Rule(
              "django-insecure-key",
              "A Django SECRET_KEY made by startproject (django-insecure-...).",
              List.of("django-insecure-"),
              Pattern.compile("django-insecure-[^\\s'\"`]{10,}")),
          new Rule(
              "url-password",
              "A URL with a password in it (scheme://user:password@host).",
              List.of("://"),
              Pattern.compile(
                  "[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\\s:/@'\"`<>]{1,256}:([^\\s/@'\"`<>]{1,256})@[A-Za-z0-9\\[]")));

  /** Password parts of a URL that are a reference or a mask, not a password. */
  private static final Pattern NOT_A_PASSWORD =
      Pattern.compile("\\$\\{?[A-Za-z_].*|\\{\\{.*|%s|%\\(.*|\\*+|<.*>|x+|\\.\\.\\.|\\$\\d.*");

  private ScanRules() {}

  /** A match: the rule's index in {@link #RULES} and the offset in the text. */
  interface Matches {
    void match(int rule, int offset);
  }

  /**
   * Reports every match in {@code text} (one byte per char, ISO-8859-1) outside lines marked {@link
   * #IGNORE}.
   */
  static void find(String text, Matches out) {
    for (int r = 0; r < RULES.size(); r++) {
      Rule rule = RULES.get(r);
      if (rule.anchors().stream().noneMatch(text::contains)) {
        continue;
      }
      Matcher m = rule.pattern().matcher(text);
      while (m.find()) {
        if (rule.id().equals("url-password") && NOT_A_PASSWORD.matcher(m.group(1)).matches()) {
          continue;
        }
        if (!ignored(text, m.start())) {
          out.match(r, m.start());
        }
      }
    }
  }

  private static boolean ignored(String text, int at) {
    int from = text.lastIndexOf('\n', at) + 1;
    int to = text.indexOf('\n', at);
    String line = text.substring(from, to < 0 ? text.length() : to);
    return line.contains(IGNORE);
  }
}
