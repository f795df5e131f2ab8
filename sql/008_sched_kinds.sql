-- The queue picks per kind, so that a kind at its own max_running never
-- hides the tasks of other kinds queued behind it: the kinds with tasks
-- waiting, each one's oldest, and how many slots a kind holds, each read
-- from an index of just those rows (lib/store/queue.c), never a scan of
-- the whole queue.
CREATE INDEX tasks_waiting_kind ON tasks (kind, id)
    WHERE state = 'queued' AND launched_at IS NULL AND external = 0;
CREATE INDEX tasks_busy_kind ON tasks (kind)
    WHERE (state IN ('running', 'stopping') AND external = 0) OR
    (state = 'queued' AND launched_at IS NOT NULL);
