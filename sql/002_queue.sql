-- The queue: a starter marks the queued tasks it launches a runner for,
-- in the same transaction that counts the slots, so that two starters
-- (server threads, runners that end) never take the same slot or start
-- the same task twice.
ALTER TABLE tasks ADD COLUMN launched_at INTEGER;	-- ms; NULL: waiting
CREATE INDEX tasks_waiting ON tasks (state, launched_at, id);
