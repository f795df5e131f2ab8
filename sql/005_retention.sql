-- Retention: when each event was recorded, so that a finished task's
-- progress can be thinned to one event a second; and which tasks have
-- been thinned already.
ALTER TABLE events ADD COLUMN at INTEGER;		-- ms since the epoch
ALTER TABLE tasks ADD COLUMN thinned INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL;
