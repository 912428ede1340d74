-- The scheduler reads due rules in pages, by start and then by name (dueRules, dueRulesAfter),
-- so that rules it cannot start never hold up the ones behind them. With the name in the index,
-- a page is a seek and a range however many rules share one start (a fleet's rules set at once),
-- not a sort of every rule due. The overdue query reads by due date and then by name alike.
DROP INDEX rules_start_at;
CREATE INDEX rules_start_at ON rules (start_at, secret) WHERE start_at IS NOT NULL;
DROP INDEX rules_next_due;
CREATE INDEX rules_next_due ON rules (next_due, secret) WHERE next_due IS NOT NULL;
