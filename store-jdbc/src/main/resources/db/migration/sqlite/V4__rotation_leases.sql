-- Which node is running a rotation's step, and until when the claim holds (DESIGN invariant 3
-- across nodes: a step runs on one node at a time; a crashed node's claim expires).
ALTER TABLE rotations ADD COLUMN lease_owner TEXT;
ALTER TABLE rotations ADD COLUMN lease_until INTEGER;
