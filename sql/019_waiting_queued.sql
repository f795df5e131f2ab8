-- tasks_waiting serves the janitor's one question, queued tasks launched
-- but not taken (state = 'queued' AND launched_at < ?, lib/store/queue.c),
-- yet held every task, so every change of state moved an entry: pages
-- written at each claim and each end, inside the write transaction that
-- every other writer waits for. Only the queued tasks now.
DROP INDEX tasks_waiting;
CREATE INDEX tasks_waiting ON tasks (state, launched_at, id)
    WHERE state = 'queued';
