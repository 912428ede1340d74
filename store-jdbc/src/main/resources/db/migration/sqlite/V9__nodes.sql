-- The servers sharing this store, as each publishes itself at every heartbeat: its id, machine,
-- process, start and last heartbeat (epoch milliseconds), and the digests of the commands its
-- configuration file declares (never their text), so that a rotation whose commands no live node
-- declares identically can say so instead of waiting silently (issue 11 item 5).
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  digest TEXT NOT NULL,
  commands TEXT NOT NULL
);
