-- Consumers (issue 18 item 2): processes that report which versions they hold, registered and kept
-- alive by PUT /v1/consumers/{id}. holdings: NAME:USING:A,B per secret joined by ';'; times in
-- epoch milliseconds; expires_at = last_seen + ttl_ms. owner: the id of the token that registered
-- it. mac: HMAC-SHA256 under the store's metadata key (dev.keyturn.core.integrity.RowMacs#consumer),
-- since a live consumer holds a previous version from retirement. Never a value.
CREATE TABLE consumers (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  holdings TEXT NOT NULL,
  ttl_ms BIGINT NOT NULL,
  registered_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  mac BYTEA
);
-- One row per secret a consumer names, so that a secret's consumers are found without a scan.
CREATE TABLE consumer_secrets (
  secret TEXT NOT NULL,
  consumer_id TEXT NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
  PRIMARY KEY (secret, consumer_id)
);
