-- Change events for GET /v1/watch: one row per version that was created or changed stage, written
-- in the transaction of the change (which also sends NOTIFY keyturn_change). Names, numbers and
-- stages only, never a value. Kept 24 hours.
CREATE TABLE change_events (
  id      BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name    TEXT    COLLATE "C" NOT NULL,
  version INTEGER NOT NULL,
  stage   TEXT    NOT NULL,
  at      BIGINT  NOT NULL
);
CREATE INDEX change_events_at ON change_events (at);
