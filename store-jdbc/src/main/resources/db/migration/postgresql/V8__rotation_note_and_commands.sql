-- What a rotation's requester said (an emergency's reason), and the digest of the operator's
-- declarations of the commands its rule names on the node that started it: only nodes with the
-- same declarations run its steps (issue 11 items 5 and 8).
ALTER TABLE rotations ADD COLUMN note TEXT;
ALTER TABLE rotations ADD COLUMN commands TEXT NOT NULL DEFAULT '';
