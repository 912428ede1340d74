-- Integrity of the rows that decide access (issue 10 item 4; docs/storage.md, docs/security.md).
-- mac: HMAC-SHA256 under the store's metadata key (dev.keyturn.core.integrity.RowMacs) of the
-- row's canonical encoding; generation: grows by one with every write of the object and is
-- recorded in the audit chain (audit.generations), so an older row put back is told apart. Rows
-- written before get both at the first start of a server that has the root key
-- (dev.keyturn.store.IntegrityMigration), which also re-encrypts values to name-bound AAD.
ALTER TABLE secrets ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE secrets ADD COLUMN mac BYTEA;
ALTER TABLE versions ADD COLUMN mac BYTEA;
ALTER TABLE tokens ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN mac BYTEA;
ALTER TABLE rules ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rules ADD COLUMN mac BYTEA;
ALTER TABLE audit ADD COLUMN generations TEXT;
