-- When a runner first saw the task's current job running: its timeout_s
-- counts from there. started_at is the task's first start, which a
-- retry keeps; a runner that follows the job again reads this instead.
ALTER TABLE tasks ADD COLUMN slurm_started INTEGER;
