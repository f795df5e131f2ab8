-- Retries (SPEC, Retries). A task whose attempt failed with an error its
-- kind retries, with attempts left, waits in the active state 'retrying'
-- until retry_at, then is queued again. The CHECK on state must admit
-- it, and SQLite changes a CHECK only by rebuilding the table: every
-- column and index of sql/001 to sql/010 is made again here, and the
-- AUTOINCREMENT sequence is carried over, so that a task id once given
-- is never given again (sql/009 rebuilt events the same way).
--
-- A task keeps its kind's retry policy from its create (attempts is 1 +
-- retries; retry_on is "exit_code,signal"; the delays in ms), so that
-- whoever ends an attempt, a runner or the server's lost-runner check,
-- decides without the kinds file. attempt is the attempt running or
-- last run, 1-based; it grows when a runner takes the task again.
--
-- Dropping tasks deletes what references it ON DELETE CASCADE (foreign
-- keys are on, and cannot be turned off inside the migration's
-- transaction): the idempotency keys are kept aside and put back.
CREATE TEMP TABLE idempotency_kept AS
    SELECT key, task_id, created_at FROM idempotency;

CREATE TABLE tasks_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	kind		TEXT NOT NULL,
	name		TEXT,
	params		TEXT NOT NULL,		-- JSON, defaults filled in
	state		TEXT NOT NULL CHECK (state IN ('queued', 'running',
			    'stopping', 'retrying', 'succeeded', 'failed',
			    'canceled', 'lost')),
	value		REAL NOT NULL DEFAULT 0,
	total		REAL,
	message		TEXT,
	created_at	INTEGER NOT NULL,	-- ms since the epoch
	started_at	INTEGER,		-- the first attempt's
	finished_at	INTEGER,
	exit_code	INTEGER,
	error_code	TEXT,
	error_message	TEXT,
	stop_requested	INTEGER NOT NULL DEFAULT 0,
	runner_pid	INTEGER,
	runner_start	INTEGER,		-- /proc start time of runner_pid
	launched_at	INTEGER,		-- ms; NULL: waiting
	thinned		INTEGER NOT NULL DEFAULT 0,
	watch_ms	INTEGER,		-- NULL: not watched
	watched_at	INTEGER,		-- ms since the epoch
	external	INTEGER NOT NULL DEFAULT 0,
	report_hash	BLOB,			-- SHA-256 of the token
	heartbeat_ms	INTEGER,		-- silence until lost
	grace_ms	INTEGER,		-- stop until canceled
	reported_at	INTEGER,		-- the last report
	stop_code	TEXT,
	stop_message	TEXT,
	stop_at		INTEGER,
	data_count	INTEGER NOT NULL DEFAULT 0,
	data_bytes	INTEGER NOT NULL DEFAULT 0,
	data_full	INTEGER NOT NULL DEFAULT 0,
	rerun_of	INTEGER,		-- a task id; NULL: none
	attempt		INTEGER NOT NULL DEFAULT 1,
	attempts	INTEGER NOT NULL DEFAULT 1,	-- 1 + retries
	retry_at	INTEGER,		-- ms; while retrying
	retry_on	TEXT,			-- "exit_code,signal"; NULL: none
	retry_delay_ms	INTEGER,
	retry_delay_max_ms INTEGER,
	-- Last again, so that reading the other columns never touches its
	-- overflow pages (sql/009).
	result		TEXT			-- JSON; NULL: none
);
INSERT INTO tasks_new (id, kind, name, params, state, value, total, message,
    created_at, started_at, finished_at, exit_code, error_code,
    error_message, stop_requested, runner_pid, runner_start, launched_at,
    thinned, watch_ms, watched_at, external, report_hash, heartbeat_ms,
    grace_ms, reported_at, stop_code, stop_message, stop_at, data_count,
    data_bytes, data_full, rerun_of, result)
    SELECT id, kind, name, params, state, value, total, message,
    created_at, started_at, finished_at, exit_code, error_code,
    error_message, stop_requested, runner_pid, runner_start, launched_at,
    thinned, watch_ms, watched_at, external, report_hash, heartbeat_ms,
    grace_ms, reported_at, stop_code, stop_message, stop_at, data_count,
    data_bytes, data_full, rerun_of, result FROM tasks;
DELETE FROM sqlite_sequence WHERE name = 'tasks_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'tasks_new', seq FROM sqlite_sequence WHERE name = 'tasks';
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
INSERT INTO idempotency (key, task_id, created_at)
    SELECT key, task_id, created_at FROM idempotency_kept;
DROP TABLE idempotency_kept;

-- The indexes of sql/001, 002, 005, 006, 007 and 008, as they were.
CREATE INDEX tasks_state ON tasks (state, id);
CREATE INDEX tasks_kind ON tasks (kind, id);
CREATE INDEX tasks_waiting ON tasks (state, launched_at, id);
CREATE INDEX tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX tasks_tended ON tasks (id) WHERE state IN ('queued', 'running',
    'stopping') AND (watch_ms IS NOT NULL OR external = 1);
CREATE INDEX tasks_unthinned ON tasks (finished_at)
    WHERE thinned = 0 AND finished_at IS NOT NULL;
CREATE INDEX tasks_waiting_kind ON tasks (kind, id)
    WHERE state = 'queued' AND launched_at IS NULL AND external = 0;
CREATE INDEX tasks_busy_kind ON tasks (kind)
    WHERE (state IN ('running', 'stopping') AND external = 0) OR
    (state = 'queued' AND launched_at IS NOT NULL);
-- The queue's pick and the janitor's clock find the retries due, and the
-- next one, without a scan.
CREATE INDEX tasks_retrying ON tasks (retry_at) WHERE state = 'retrying';
