-- Tasks the server tends itself, besides what their runner does.
-- While watched: a task of a kind with while_watched_s runs while an SSE
-- client watches; watched_at is when one last did, kept here so that
-- time while the server is down counts.
-- External: nothing runs here; a worker elsewhere reports over HTTP with
-- a token of the task's own, of which only the SHA-256 is kept.
ALTER TABLE tasks ADD COLUMN watch_ms INTEGER;		-- NULL: not watched
ALTER TABLE tasks ADD COLUMN watched_at INTEGER;	-- ms since the epoch
ALTER TABLE tasks ADD COLUMN external INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN report_hash BLOB;		-- SHA-256 of the token
ALTER TABLE tasks ADD COLUMN heartbeat_ms INTEGER;	-- silence until lost
ALTER TABLE tasks ADD COLUMN grace_ms INTEGER;		-- stop until canceled
ALTER TABLE tasks ADD COLUMN reported_at INTEGER;	-- the last report
-- Why a stop was asked, when not by a client: the error a canceled task
-- ends with (unwatched); and when it was asked.
ALTER TABLE tasks ADD COLUMN stop_code TEXT;
ALTER TABLE tasks ADD COLUMN stop_message TEXT;
ALTER TABLE tasks ADD COLUMN stop_at INTEGER;
CREATE INDEX tasks_tended ON tasks (id) WHERE state IN ('queued', 'running',
    'stopping') AND (watch_ms IS NOT NULL OR external = 1);
