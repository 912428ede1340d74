-- How far a reencrypt rotation's row sweep has come (dev.keyturn.core.SweepProgress), written
-- after each committed batch apart from the rotation's other columns (issue 19).
ALTER TABLE rotations ADD COLUMN progress TEXT;
