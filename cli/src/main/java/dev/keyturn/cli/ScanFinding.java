package dev.keyturn.cli;

/**
 * One thing {@code keyturn scan} found: a managed value ({@code rule} {@code managed-value}, level
 * {@code error}, with the secret's name, version, stage, the JSON field if any and the encoding) or
 * a pattern ({@code rule} its id, level {@code warning}), where ({@code path}, 1-based {@code line}
 * and {@code column} in code points) and, in git history, the commit that introduced the blob.
 * Holds no part of any value.
 */
record ScanFinding(
    String rule,
    String level,
    String secret,
    Integer version,
    String stage,
    String field,
    String encoding,
    String path,
    long offset,
    int line,
    int column,
    String commit,
    String blob) {

  static final String MANAGED = "managed-value";

  boolean managed() {
    return rule.equals(MANAGED);
  }

  /** {@code path:line:column}. */
  String location() {
    return path + ":" + line + ":" + column;
  }

  ScanFinding at(int line, int column) {
    return new ScanFinding(
        rule, level, secret, version, stage, field, encoding, path, offset, line, column, commit,
        blob);
  }

  ScanFinding inCommit(String commit) {
    return new ScanFinding(
        rule, level, secret, version, stage, field, encoding, path, offset, line, column, commit,
        blob);
  }
}
