-- Each token's creator, so that revoking a token revokes the tokens it made.
-- creator: the creating token's id; NULL for the root token and orphans.
-- creator_source: recorded (at creation), audit (from a verified token.create record),
-- inferred (no verified record: root's child), unresolved (made before this column; the
-- server looks it up in the audit log at start, and counts it as root's child until then).
ALTER TABLE tokens ADD COLUMN creator TEXT;
ALTER TABLE tokens ADD COLUMN creator_source TEXT NOT NULL DEFAULT 'unresolved';
UPDATE tokens SET creator_source = 'recorded' WHERE id = 'root';
