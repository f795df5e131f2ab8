-- What the server looks for every second must not cost more as history
-- grows: the finished tasks not yet thinned (most are, so an index on
-- finished_at alone had the janitor step over all of them), and the
-- idempotency keys past their 24 hours.
CREATE INDEX tasks_unthinned ON tasks (finished_at)
    WHERE thinned = 0 AND finished_at IS NOT NULL;
CREATE INDEX idempotency_created ON idempotency (created_at);
