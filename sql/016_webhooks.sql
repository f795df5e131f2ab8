-- Webhook deliveries: one per task that reached a final state while
-- HOURGLASS_WEBHOOK_URL was set, written in the transaction of that end.
-- The payload is the whole body as it is sent, so that it outlives the
-- task's deletion; task is no foreign key for the same reason.
CREATE TABLE webhook_deliveries (
	id		TEXT PRIMARY KEY,	-- 32 hex chars, random
	task		INTEGER NOT NULL,
	state		TEXT NOT NULL DEFAULT 'pending'
			CHECK (state IN ('pending', 'delivered', 'failed')),
	payload		TEXT NOT NULL,
	attempts	INTEGER NOT NULL DEFAULT 0,
	last_status	INTEGER,		-- HTTP status of the last try
	last_error	TEXT,			-- why the last try failed
	next_attempt_at	INTEGER,		-- ms; NULL once not pending
	created_at	INTEGER NOT NULL,	-- ms since the epoch
	done_at		INTEGER			-- ms; delivered or failed
);
CREATE INDEX webhook_due ON webhook_deliveries (next_attempt_at)
	WHERE state = 'pending';
CREATE INDEX webhook_done ON webhook_deliveries (done_at)
	WHERE done_at IS NOT NULL;
CREATE INDEX webhook_created ON webhook_deliveries (created_at);
-- Whether deliveries are written: the server says so at each start, from
-- HOURGLASS_WEBHOOK_URL, so that every process that ends a task (runners
-- started by an earlier server too) agrees with the one that sends.
CREATE TABLE webhook_config (
	id	INTEGER PRIMARY KEY CHECK (id = 1),
	enabled	INTEGER NOT NULL
);
