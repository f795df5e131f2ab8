-- Tasks held, by kind and state, kept as tasks change instead of counted
-- on each scrape of /api/metrics: a GROUP BY over a million tasks took
-- about 190 ms. Triggers keep it in the same transaction as the change,
-- whoever writes (the server, a runner, an older binary, the sqlite3
-- shell). A row at 0 stays; the metric leaves it out.
--
-- A migration that rebuilds tasks (as sql/011 did) drops these triggers
-- with the old table and must make them again.
CREATE TABLE task_counts (
	kind	TEXT NOT NULL,
	state	TEXT NOT NULL,
	n	INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (kind, state)
) WITHOUT ROWID;

INSERT INTO task_counts (kind, state, n)
    SELECT kind, state, count(*) FROM tasks GROUP BY kind, state;

CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
	INSERT INTO task_counts (kind, state, n) VALUES (NEW.kind, NEW.state, 1)
	    ON CONFLICT (kind, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
	UPDATE task_counts SET n = n - 1
	    WHERE kind = OLD.kind AND state = OLD.state;
END;

CREATE TRIGGER task_counts_update AFTER UPDATE OF kind, state ON tasks
    WHEN OLD.kind IS NOT NEW.kind OR OLD.state IS NOT NEW.state BEGIN
	UPDATE task_counts SET n = n - 1
	    WHERE kind = OLD.kind AND state = OLD.state;
	INSERT INTO task_counts (kind, state, n) VALUES (NEW.kind, NEW.state, 1)
	    ON CONFLICT (kind, state) DO UPDATE SET n = n + 1;
END;
