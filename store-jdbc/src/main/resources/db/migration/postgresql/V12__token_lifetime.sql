-- A token's original lifetime in milliseconds, recorded at its first renewal
-- (POST /v1/tokens/self/renew), which moves expires_at; before that it is expires_at - created_at.
ALTER TABLE tokens ADD COLUMN lifetime_ms BIGINT;
