-- Keyturn schema, SQLite. Times are milliseconds since the epoch (UTC).
-- Values exist here only as AES-GCM ciphertexts; see dev.keyturn.core.crypto.Envelope.

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE secrets (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT    NOT NULL UNIQUE,
  data_key   BLOB,
  destroyed  INTEGER NOT NULL DEFAULT 0,
  live       INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE versions (
  secret_id    INTEGER NOT NULL REFERENCES secrets (id),
  number       INTEGER NOT NULL,
  stage        TEXT    NOT NULL CHECK (stage IN ('pending', 'current', 'previous', 'retired')),
  value_type   TEXT    NOT NULL CHECK (value_type IN ('string', 'json')),
  created_at   INTEGER NOT NULL,
  created_by   TEXT    NOT NULL,
  accept_until INTEGER,
  fingerprint  TEXT    NOT NULL,
  ciphertext   BLOB,
  PRIMARY KEY (secret_id, number)
);

-- The stage rules, once more, where no code path can skip them.
CREATE UNIQUE INDEX versions_one_current ON versions (secret_id) WHERE stage = 'current';
CREATE UNIQUE INDEX versions_one_pending ON versions (secret_id) WHERE stage = 'pending';

CREATE TABLE tokens (
  id         TEXT    PRIMARY KEY,
  hash       BLOB    NOT NULL UNIQUE,
  name       TEXT    NOT NULL,
  grants     TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
