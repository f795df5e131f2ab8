-- Retried creates: a key names the task its first create made, for 24
-- hours. Deleting the task forgets the key.
CREATE TABLE idempotency (
	key		TEXT PRIMARY KEY,
	task_id		INTEGER NOT NULL REFERENCES tasks (id)
			    ON DELETE CASCADE,
	created_at	INTEGER NOT NULL	-- ms since the epoch
);
CREATE INDEX idempotency_task ON idempotency (task_id);
