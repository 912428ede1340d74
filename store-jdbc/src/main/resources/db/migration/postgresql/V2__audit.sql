-- The hash-chained audit log (see dev.keyturn.core.audit.AuditChain). Never a value or token.
CREATE TABLE audit (
  seq      BIGINT  PRIMARY KEY,
  time     BIGINT  NOT NULL,
  token_id TEXT    NOT NULL,
  client   TEXT    NOT NULL,
  action   TEXT    NOT NULL,
  secret   TEXT COLLATE "C",
  version  INTEGER,
  result   TEXT    NOT NULL,
  detail   TEXT    NOT NULL,
  key_id   TEXT    NOT NULL,
  mac      BYTEA   NOT NULL
);
CREATE INDEX audit_time ON audit (time);
CREATE INDEX audit_secret ON audit (secret, seq);
