-- Dependencies: a task made with "after": [ids] waits queued until each
-- of those tasks has succeeded. waiting_for holds, as a JSON array, the
-- ids not yet succeeded, and is NULL once the task is released (or for
-- a task that never waited), so that single reads and list pages read
-- it from the row, without a join. task_after holds an edge per parent
-- that had not ended when the child was made; a parent's edges go when
-- it ends, so the table holds only what some task still waits for.
-- No foreign keys: a parent is active while its edges stand, and an
-- active task is never deleted.
--
-- Written to apply after any migration that rebuilds the tasks table:
-- it only adds a column and a table, and recreates the queue's index.
ALTER TABLE tasks ADD COLUMN waiting_for TEXT;	-- JSON; NULL: not waiting
CREATE TABLE task_after (
	parent	INTEGER NOT NULL,
	child	INTEGER NOT NULL,
	PRIMARY KEY (parent, child)
) WITHOUT ROWID;
-- A waiting task holds no slot and is not taken by the queue: the
-- index the queue reads its waiting tasks through leaves it out.
DROP INDEX IF EXISTS tasks_waiting_kind;
CREATE INDEX tasks_waiting_kind ON tasks (kind, id)
    WHERE state = 'queued' AND launched_at IS NULL AND external = 0 AND
    waiting_for IS NULL;
