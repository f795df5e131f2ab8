-- Schedules: a kind and its checked params, started by cron in a time
-- zone. next_run_at is the next time a task is due (ms since the epoch;
-- NULL while paused, or when the expression never matches again);
-- last_task_id is the newest task it made, for overlap "skip". A task
-- made by one carries its id in schedule (no foreign key: a task
-- outlives its schedule's deletion and keeps the number).
CREATE TABLE schedules (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	kind		TEXT NOT NULL,
	params		TEXT NOT NULL,
	name		TEXT,
	cron		TEXT NOT NULL,
	timezone	TEXT NOT NULL,
	overlap		TEXT NOT NULL CHECK (overlap IN ('skip', 'allow')),
	paused		INTEGER NOT NULL DEFAULT 0,
	next_run_at	INTEGER,
	last_task_id	INTEGER,
	created_at	INTEGER NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_run_at)
	WHERE next_run_at IS NOT NULL AND paused = 0;
ALTER TABLE tasks ADD COLUMN schedule INTEGER;
