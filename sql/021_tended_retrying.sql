-- A task that lives while watched is stopped once nobody watches, in
-- every active state: retrying too. tasks_tended left retrying tasks
-- out, so one waiting for its next attempt went on unwatched, and the
-- attempt could start with nobody there.
DROP INDEX tasks_tended;
CREATE INDEX tasks_tended ON tasks (id) WHERE state IN ('queued', 'retrying',
    'running', 'stopping') AND (watch_ms IS NOT NULL OR external = 1);
