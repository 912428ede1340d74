package dev.keyturn.store;

import dev.keyturn.core.KeyturnException;

/** The SQL differences between the backends Keyturn supports. */
enum Dialect {
  SQLITE("classpath:db/migration/sqlite", ""),
  POSTGRESQL("classpath:db/migration/postgresql", " FOR UPDATE");

  final String migrations;

  /** Appended to the SELECT that locks a secret row; SQLite locks the whole database instead. */
  final String forUpdate;

  Dialect(String migrations, String forUpdate) {
    this.migrations = migrations;
    this.forUpdate = forUpdate;
  }

  static Dialect of(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:sqlite:")) {
      return SQLITE;
    }
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return POSTGRESQL;
    }
    throw new KeyturnException.InvalidInput(
        "unsupported store URL (use jdbc:sqlite:PATH or jdbc:postgresql://HOST/DB)");
  }
}
