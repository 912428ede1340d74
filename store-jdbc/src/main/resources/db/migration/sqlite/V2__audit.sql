-- The hash-chained audit log (see dev.keyturn.core.audit.AuditChain). Never a value or token.
CREATE TABLE audit (
  seq      INTEGER PRIMARY KEY,
  time     INTEGER NOT NULL,
  token_id TEXT    NOT NULL,
  client   TEXT    NOT NULL,
  action   TEXT    NOT NULL,
  secret   TEXT,
  version  INTEGER,
  result   TEXT    NOT NULL,
  detail   TEXT    NOT NULL,
  key_id   TEXT    NOT NULL,
  mac      BLOB    NOT NULL
);
CREATE INDEX audit_time ON audit (time);
CREATE INDEX audit_secret ON audit (secret, seq);
