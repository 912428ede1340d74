-- Change events for GET /v1/watch: one row per version that was created or changed stage, written
-- in the transaction of the change. Names, numbers and stages only, never a value. Kept 24 hours.
CREATE TABLE change_events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  name    TEXT    NOT NULL,
  version INTEGER NOT NULL,
  stage   TEXT    NOT NULL,
  at      INTEGER NOT NULL
);
CREATE INDEX change_events_at ON change_events (at);
