-- Tasks and their events. Ids are AUTOINCREMENT so that an id is never
-- reused after a delete: a client holding an old id or Last-Event-ID must
-- never see a different task or event behind it.
CREATE TABLE tasks (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	kind		TEXT NOT NULL,
	name		TEXT,
	params		TEXT NOT NULL,		-- JSON, defaults filled in
	state		TEXT NOT NULL CHECK (state IN ('queued', 'running',
			    'stopping', 'succeeded', 'failed', 'canceled',
			    'lost')),
	value		REAL NOT NULL DEFAULT 0,
	total		REAL,
	message		TEXT,
	created_at	INTEGER NOT NULL,	-- ms since the epoch
	started_at	INTEGER,
	finished_at	INTEGER,
	exit_code	INTEGER,
	error_code	TEXT,
	error_message	TEXT,
	stop_requested	INTEGER NOT NULL DEFAULT 0,
	runner_pid	INTEGER,
	runner_start	INTEGER			-- /proc start time of runner_pid
);
CREATE INDEX tasks_state ON tasks (state, id);
CREATE INDEX tasks_kind ON tasks (kind, id);

-- Every event sent over SSE, exactly as sent: the id is the SSE id, and
-- a replay reads the same rows that were streamed live.
CREATE TABLE events (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	task_id		INTEGER NOT NULL REFERENCES tasks (id)
			    ON DELETE CASCADE,
	type		TEXT NOT NULL CHECK (type IN ('state', 'progress',
			    'log')),
	state		TEXT,			-- the new state, for 'state'
	data		TEXT NOT NULL		-- JSON
);
CREATE INDEX events_task ON events (task_id, id);
