-- Counters for /api/metrics that must only grow, whatever is deleted or
-- pruned: bumped in the same transaction as what they count.
CREATE TABLE counters (
	name	TEXT NOT NULL,		-- started, finished, start_failed
	kind	TEXT NOT NULL DEFAULT '',
	state	TEXT NOT NULL DEFAULT '',
	value	INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (name, kind, state)
);
