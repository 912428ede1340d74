-- Rotation rules and runs. A rule is stored in key=value form (dev.keyturn.core.RuleCodec).
CREATE TABLE rules (
  secret   TEXT COLLATE "C" PRIMARY KEY,
  body     TEXT    NOT NULL,
  next_due BIGINT
);
CREATE INDEX rules_next_due ON rules (next_due) WHERE next_due IS NOT NULL;

CREATE TABLE rotations (
  id              TEXT    PRIMARY KEY,
  secret          TEXT    NOT NULL,
  state           TEXT    NOT NULL,
  attempt         INTEGER NOT NULL,
  started_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  pending_version INTEGER,
  emergency       INTEGER NOT NULL,
  requested_by    TEXT    NOT NULL,
  reason          TEXT,
  process         BIGINT,
  checklist       TEXT    NOT NULL,
  active          INTEGER NOT NULL
);
-- At most one unfinished rotation per secret, on every node (DESIGN invariant 3).
CREATE UNIQUE INDEX rotations_one_active ON rotations (secret) WHERE active = 1;
CREATE INDEX rotations_runnable ON rotations (next_attempt_at) WHERE active = 1;
CREATE INDEX rotations_history ON rotations (secret, started_at);

CREATE INDEX versions_expiring ON versions (accept_until) WHERE stage = 'previous';
