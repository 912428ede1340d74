-- A rule's body becomes one JSON document (dev.keyturn.core.RuleCodec); version 6.1, a Java
-- migration (dev.keyturn.store.RuleDocumentsMigration), rewrites the key=value bodies stored before.
-- start_at: when the scheduler starts the rule's rotation. It equals next_due, except for a rule
-- set on a secret that was already overdue: shown overdue from next_due, it starts in its next
-- window, at once with catch-up, or (NULL) only on request.
ALTER TABLE rules ADD COLUMN start_at BIGINT;
UPDATE rules SET start_at = next_due;
CREATE INDEX rules_start_at ON rules (start_at) WHERE start_at IS NOT NULL;
