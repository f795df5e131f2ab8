-- Results and incremental data. A task may leave a result (JSON, at most
-- 64 KiB), kept last in its row so that reading the other columns never
-- touches its overflow pages; and it may send data items, which are
-- events of type 'data' with a name, counted on the task against
-- HOURGLASS_DATA_MAX (data_full: the cap was reached, later items are
-- dropped).
--
-- A deleted or pruned task leaves one 'deleted' event behind, so that
-- every open page hears of it; it outlives the task, so events no longer
-- reference tasks (the store deletes a task's events with it) and are
-- rebuilt here with the new types. The sequence is carried over, so that
-- an event id once given is never given again.
ALTER TABLE tasks ADD COLUMN data_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN data_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN data_full INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN result TEXT;		-- JSON; NULL: none

CREATE TABLE events_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	task_id		INTEGER NOT NULL,
	type		TEXT NOT NULL CHECK (type IN ('state', 'progress',
			    'log', 'data', 'deleted')),
	state		TEXT,			-- the new state, for 'state'
	data		TEXT NOT NULL,		-- JSON
	at		INTEGER,		-- ms since the epoch
	name		TEXT			-- the item's name, for 'data'
);
INSERT INTO events_new (id, task_id, type, state, data, at)
    SELECT id, task_id, type, state, data, at FROM events;
DELETE FROM sqlite_sequence WHERE name = 'events_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_task ON events (task_id, id);
-- GET /api/tasks/{id}/data pages through a task's items alone.
CREATE INDEX events_data ON events (task_id, id) WHERE type = 'data';
-- Pruning finds the 'deleted' events past retention.
CREATE INDEX events_deleted ON events (at) WHERE type = 'deleted';
